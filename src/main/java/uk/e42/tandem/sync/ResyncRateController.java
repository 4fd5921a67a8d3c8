package uk.e42.tandem.sync;

import java.util.Objects;

/**
 * DRBD 8.4's resync rate controller ({@code drbd_rs_controller}, {@code drbd_rs_number_requests}). The
 * node that issues resync requests (SyncTarget, or VerifyS for online verify) calls {@link #step}
 * every 100 ms, reports every answered request with {@link #replied}, and issues at most
 * {@link #allowance} 4 KiB requests whenever it may (after a step and after each reply), reporting
 * them with {@link #issued}. Units are DRBD's: sectors of 512 bytes, KiB/s for rates, 0.1 s for
 * c-plan-ahead and c-delay-target. Time comes in as {@link System#nanoTime()} values.
 *
 * <p>With {@code c-plan-ahead 0} the rate is fixed at {@code resync-rate}: a cap over time, not a
 * number per step, so neither late steps nor the rounding of resync-rate to whole 4 KiB requests per
 * step slow it down; after max-buffers or a slow peer held requests back it may catch up by at most
 * {@link #FIXED_RATE_CATCH_UP_NANOS} worth. Otherwise (the default, 2 s) the controller keeps
 * {@code c-fill-target} sectors in flight (or, with c-fill-target 0, {@code c-delay-target} worth of
 * the current reply rate), spreading each correction over the c-plan-ahead steps, never above
 * {@code c-max-rate}; {@code resync-rate} only sizes the first step. That is why a configured
 * {@code rate 1M} shows {@code want: 41,000} in /proc/drbd.
 *
 * <p>In both modes at most {@code max-buffers}/2 pages are in flight. DRBD issues only on its 100 ms
 * timer, so a step's requests that did not fit waited for the next step; here they go out as soon as
 * replies make room (still within the step's number), which keeps the link busy between steps.
 *
 * <p>{@code c-min-rate} ({@link #giveWayToApplication}, {@link ResyncThrottle}) ends a step early while
 * the application uses the disk and the resync runs faster than c-min-rate.
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
    /** How much unused fixed rate is kept for later: one second of resync-rate. */
    static final long FIXED_RATE_CATCH_UP_NANOS = 1_000_000_000L;
    private static final long STEP_NANOS = STEP_MILLIS * 1_000_000L;
    /** The fixed-rate credit of one 4 KiB request, in KiB x ns / s (the credit's unit). */
    private static final long REQUEST_CREDIT = 4 * 1_000_000_000L;

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
     * @param requests  4 KiB resync requests to issue now: {@link #allowance} right after the step
     * @param want      the controller's rate, KiB/s: {@code want:} in /proc/drbd ({@code c_sync_rate})
     */
    public record Step(int requests, long want) {
    }

    private Settings settings;
    private final ResyncThrottle throttle = new ResyncThrottle();
    private long[] plan;
    private int head;
    private long planTotal;
    private long inFlight;
    /** Reply sectors since the last step (DRBD's rs_sect_in). */
    private long sectorsIn;
    /** With the dynamic controller: requests of this step not issued yet. */
    private long stepRequestsLeft;
    /** With a fixed rate: unused resync-rate, in KiB x ns / s ({@link #REQUEST_CREDIT} per request). */
    private long credit;
    /** With a fixed rate: when the credit was last topped up; -1 before the first step. */
    private long creditAt = -1;

    public ResyncRateController(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.plan = new long[settings.cPlanAhead()];
    }

    public Settings settings() {
        return settings;
    }

    /**
     * {@code adjust} while a resync or verify runs: the new settings apply from now on, as in DRBD
     * (which swaps its disk_conf under the running resync). A new c-plan-ahead starts an empty plan, as
     * DRBD's new fifo does; a fixed rate keeps at most one step of the new rate's credit, so a lowered
     * resync-rate is not overrun by what the old one left.
     */
    public void useSettings(Settings adjusted) {
        Objects.requireNonNull(adjusted, "adjusted");
        if (adjusted.cPlanAhead() != settings.cPlanAhead()) {
            plan = new long[adjusted.cPlanAhead()];
            head = 0;
            planTotal = 0;
            stepRequestsLeft = 0;
            creditAt = -1;
            credit = 0;
        } else if (plan.length == 0 && creditAt >= 0) {
            credit = Math.min(credit, adjusted.resyncRate() * STEP_NANOS);
        }
        settings = adjusted;
    }

    /** Resync sectors requested and not yet answered. */
    public long inFlightSectors() {
        return inFlight;
    }

    /**
     * One 100 ms step: decides the rate from the replies since the last step.
     *
     * @param nowNanos {@link System#nanoTime()}
     */
    public Step step(long nowNanos) {
        long in = sectorsIn;
        sectorsIn = 0;
        long want;
        if (plan.length > 0) {
            stepRequestsLeft = controller(in) / SECTORS_PER_REQUEST;
            want = stepRequestsLeft * KIB_PER_SECOND_PER_REQUEST;
        } else {
            want = settings.resyncRate();
            topUpCredit(nowNanos);
        }
        return new Step(allowance(nowNanos), want);
    }

    /**
     * Requests that may go out now: what the step or the fixed rate leaves, within max-buffers/2
     * pages in flight (more could stall the peer's page pool and, with checksums or verify, deadlock
     * both nodes).
     */
    public int allowance(long nowNanos) {
        long rate;
        if (plan.length > 0) {
            rate = stepRequestsLeft;
        } else {
            topUpCredit(nowNanos);
            rate = credit / REQUEST_CREDIT;
        }
        long room = settings.maxBuffers() / 2 - inFlight / SECTORS_PER_REQUEST;
        return (int) Math.max(0, Math.min(rate, room));
    }

    /**
     * {@code c-min-rate}: when the application used the disk since the last look and the resync runs
     * faster than c-min-rate, the rest of this step's requests is dropped (DRBD requeues its resync
     * work until the next step) and, with a fixed rate, the unused rate is not caught up later.
     *
     * @param applicationSectors application sectors read and written on this node's disk so far
     * @param resyncKibPerSec    the recent resync rate, KiB/s
     * @return whether the resync gives way now
     */
    public boolean giveWayToApplication(long applicationSectors, long resyncKibPerSec) {
        if (!throttle.shouldSlowDown(settings.cMinRate(), applicationSectors, resyncKibPerSec)) {
            return false;
        }
        stepRequestsLeft = 0;
        credit = Math.min(credit, 0);
        return true;
    }

    /** Records that {@code requests} 4 KiB requests went out. */
    public void issued(int requests) {
        if (requests < 0) {
            throw new IllegalArgumentException("issued requests " + requests + " is negative");
        }
        inFlight += (long) requests * SECTORS_PER_REQUEST;
        if (plan.length > 0) {
            stepRequestsLeft = Math.max(0, stepRequestsLeft - requests);
        } else {
            credit -= requests * REQUEST_CREDIT;
        }
    }

    /** An answer (data, in sync, or failed) for {@code sectors} requested sectors arrived. */
    public void replied(long sectors) {
        if (sectors < 0) {
            throw new IllegalArgumentException("sectors replied " + sectors + " is negative");
        }
        inFlight = Math.max(0, inFlight - sectors);
        sectorsIn += sectors;
    }

    /** resync-rate accrues with time, one step's worth at the start, at most one catch-up window's worth. */
    private void topUpCredit(long nowNanos) {
        long rate = settings.resyncRate();
        if (creditAt < 0) {
            credit = rate * STEP_NANOS;
        } else if (nowNanos > creditAt) {
            long elapsed = Math.min(nowNanos - creditAt, FIXED_RATE_CATCH_UP_NANOS);
            credit = Math.min(credit + rate * elapsed, rate * FIXED_RATE_CATCH_UP_NANOS);
        } else {
            return;
        }
        creditAt = nowNanos;
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
}
