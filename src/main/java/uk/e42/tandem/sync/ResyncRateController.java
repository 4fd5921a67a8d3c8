package uk.e42.tandem.sync;

import java.util.Arrays;
import java.util.Objects;

/**
 * DRBD 8.4's resync rate controller ({@code drbd_rs_controller}, {@code drbd_rs_number_requests}). The
 * node that issues resync requests (SyncTarget, or VerifyS for online verify) calls {@link #step}
 * every 100 ms with the sectors that arrived since the last step and issues the returned number of
 * 4 KiB requests, then reports them with {@link #issued}. Units are DRBD's: sectors of 512 bytes,
 * KiB/s for rates, 0.1 s for c-plan-ahead and c-delay-target.
 *
 * <p>With {@code c-plan-ahead 0} the rate is fixed at {@code resync-rate}. Otherwise (the default,
 * 2 s) the controller keeps {@code c-fill-target} sectors in flight (or, with c-fill-target 0,
 * {@code c-delay-target} worth of the current reply rate), spreading each correction over the
 * c-plan-ahead steps, never above {@code c-max-rate}; {@code resync-rate} only sizes the first step.
 * That is why a configured {@code rate 1M} shows {@code want: 41,000} in /proc/drbd.
 *
 * <p>One instance per resync, owned by the resource's single writer; not thread-safe.
 */
public final class ResyncRateController {

    /** DRBD's SLEEP_TIME: the controller runs every 100 ms. */
    public static final int STEP_MILLIS = 100;
    /** Sectors per bitmap bit (4 KiB). */
    static final int SECTORS_PER_REQUEST = 8;
    /** KiB/s that one 4 KiB request per 100 ms step amounts to. */
    static final int KIB_PER_SECOND_PER_REQUEST = 4 * 1000 / STEP_MILLIS;

    /**
     * The resync options of the disk section (defaults from DRBD 8.4's {@code drbd_limits.h}) and
     * {@code max-buffers} of the net section.
     *
     * @param resyncRate       {@code resync-rate} (8.3 {@code syncer { rate }}), KiB/s
     * @param cPlanAhead       {@code c-plan-ahead}, 0.1 s; 0 = fixed rate
     * @param cDelayTarget     {@code c-delay-target}, 0.1 s
     * @param cFillTarget      {@code c-fill-target}, sectors; 0 = use c-delay-target
     * @param cMaxRate         {@code c-max-rate}, KiB/s
     * @param cMinRate         {@code c-min-rate}, KiB/s; 0 = never throttle for application I/O
     * @param maxBuffers       {@code max-buffers}, 4 KiB pages; half of it bounds resync requests in flight
     */
    public record Settings(long resyncRate, int cPlanAhead, int cDelayTarget, long cFillTarget, long cMaxRate,
                           long cMinRate, int maxBuffers) {

        public static final Settings DEFAULTS = new Settings(250, 20, 10, 100, 102400, 250, 2048);

        public Settings {
            check("resync-rate", resyncRate, 1, 4L << 20, "KiB/s");
            check("c-plan-ahead", cPlanAhead, 0, 300, "(0.1 s)");
            check("c-delay-target", cDelayTarget, 1, 100, "(0.1 s)");
            check("c-fill-target", cFillTarget, 0, 1L << 20, "sectors");
            check("c-max-rate", cMaxRate, 250, 4L << 20, "KiB/s");
            check("c-min-rate", cMinRate, 0, 4L << 20, "KiB/s");
            check("max-buffers", maxBuffers, 32, 131072, "pages");
        }

        private static void check(String option, long value, long min, long max, String unit) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(option + " " + value + " is out of range: DRBD accepts " + min
                        + ".." + max + " " + unit);
            }
        }
    }

    /**
     * One step's decision.
     *
     * @param requests  4 KiB resync requests to issue now (already bounded by max-buffers)
     * @param want      the controller's rate, KiB/s: {@code want:} in /proc/drbd ({@code c_sync_rate})
     */
    public record Step(int requests, long want) {
    }

    private final Settings settings;
    private final long[] plan;
    private int head;
    private long planTotal;
    private long inFlight;

    public ResyncRateController(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.plan = new long[settings.cPlanAhead()];
    }

    public Settings settings() {
        return settings;
    }

    /** Resync sectors requested and not yet answered. */
    public long inFlightSectors() {
        return inFlight;
    }

    /** Forgets the plan and the requests in flight ({@code drbd_rs_controller_reset}, at resync start). */
    public void reset() {
        Arrays.fill(plan, 0);
        head = 0;
        planTotal = 0;
        inFlight = 0;
    }

    /**
     * One 100 ms step.
     *
     * @param sectorsIn resync reply sectors received since the last step
     */
    public Step step(long sectorsIn) {
        if (sectorsIn < 0) {
            throw new IllegalArgumentException("sectors received " + sectorsIn + " is negative");
        }
        inFlight = Math.max(0, inFlight - sectorsIn);
        long number;
        long want;
        if (plan.length > 0) {
            number = controller(sectorsIn) / SECTORS_PER_REQUEST;
            want = number * KIB_PER_SECOND_PER_REQUEST;
        } else {
            want = settings.resyncRate();
            number = want / KIB_PER_SECOND_PER_REQUEST;
        }
        // At most max-buffers/2 pages in flight: more could stall the peer's page pool and, with
        // checksums or verify, deadlock both nodes.
        long room = settings.maxBuffers() / 2 - inFlight / SECTORS_PER_REQUEST;
        number = Math.min(number, room);
        return new Step((int) Math.max(0, number), want);
    }

    /** Records that {@code requests} 4 KiB requests went out after a step. */
    public void issued(int requests) {
        if (requests < 0) {
            throw new IllegalArgumentException("issued requests " + requests + " is negative");
        }
        inFlight += (long) requests * SECTORS_PER_REQUEST;
    }

    /** DRBD's plan-ahead controller: sectors to request in this step. */
    private long controller(long sectorsIn) {
        int steps = plan.length;
        long want;
        if (inFlight + sectorsIn == 0) {
            // Start of the resync: nothing measured yet, so plan resync-rate worth of the whole horizon.
            want = settings.resyncRate() * 2 / 10 * steps;
        } else {
            want = settings.cFillTarget() != 0 ? settings.cFillTarget() : sectorsIn * settings.cDelayTarget();
        }
        long correction = want - inFlight - planTotal;
        long cps = correction / steps;
        for (int i = 0; i < steps; i++) {
            plan[i] += cps;
        }
        planTotal += cps * steps;

        long current = plan[head];
        plan[head] = 0;
        head = (head + 1) % steps;
        planTotal -= current;

        long reqSect = Math.max(0, sectorsIn + current);
        return Math.min(reqSect, settings.cMaxRate() * 2 / 10);
    }

    /**
     * {@code c-min-rate}: whether resync requests should wait to favour application I/O. DRBD throttles
     * when application I/O was seen on the backing device (or application writes wait for the
     * activity log) while the recent resync rate is above c-min-rate.
     *
     * @param applicationIoSeen       application I/O since the last check
     * @param recentResyncRate        resync rate over the last few seconds, KiB/s
     */
    public boolean throttleForApplicationIo(boolean applicationIoSeen, long recentResyncRate) {
        return settings.cMinRate() != 0 && applicationIoSeen && recentResyncRate > settings.cMinRate();
    }
}
