package uk.e42.tandem.device;

import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import uk.e42.tandem.sync.ResyncRateController;

/**
 * The pace of a run this node drives with requests, the SyncTarget's resync and the VerifyS's online
 * verify (DRBD's resync timer): every step the rate controller decides how many 4 KiB blocks may be
 * asked for, within max-buffers/2 in flight; a reply makes room and more are asked for at once, but
 * only a whole request's worth (or the rest of the run), so a throttled run still asks in large
 * requests. c-min-rate holds the run back while the application uses this disk. Not thread-safe:
 * its run's executor owns it.
 */
final class RequestPacer {
    /** The run's requests: asks for up to {@code blocks} 4 KiB blocks and returns how many it asked for. */
    interface Requests {
        int issue(int blocks);
    }

    private final ResyncRateController controller;
    private final LongSupplier applicationSectors;
    private final LongSupplier recentKibPerSec;
    private final LongConsumer want;

    /**
     * @param applicationSectors this disk's application I/O so far, for c-min-rate
     * @param recentKibPerSec    the run's recent rate (its sync marks), for c-min-rate
     * @param want               told the controller's rate at each step ({@code want:} in /proc/drbd)
     */
    RequestPacer(ResyncRateController controller, LongSupplier applicationSectors, LongSupplier recentKibPerSec,
            LongConsumer want) {
        this.controller = controller;
        this.applicationSectors = applicationSectors;
        this.recentKibPerSec = recentKibPerSec;
        this.want = want;
    }

    /** Every {@link ResyncRateController#STEP_MILLIS}: the step's requests go out, none while giving way. */
    void step(long nowNanos, Requests requests) {
        ResyncRateController.Step step = controller.step(nowNanos);
        want.accept(step.want());
        controller.issued(requests.issue(givesWay() ? 0 : step.requests()));
    }

    /** A reply made room: asks for more now if a whole request's worth, or the {@code blocksLeft}, may go. */
    void refill(long nowNanos, long blocksLeft, Requests requests) {
        if (givesWay()) {
            return;
        }
        int allowed = controller.allowance(nowNanos);
        if (allowed >= ResyncTarget.MAX_REQUEST_BITS || allowed >= blocksLeft) {
            controller.issued(requests.issue(allowed));
        }
    }

    /** An answer (data, in sync, digests, or failed) for {@code sectors} requested sectors arrived. */
    void replied(long sectors) {
        controller.replied(sectors);
    }

    /** {@code adjust}: the new resync-rate and c-* settings from the next request on. */
    void useRate(ResyncRateController.Settings adjusted) {
        controller.useSettings(adjusted);
    }

    private boolean givesWay() {
        return controller.giveWayToApplication(applicationSectors.getAsLong(), recentKibPerSec.getAsLong());
    }
}
