package uk.e42.tandem.device;

import java.util.Optional;
import java.util.OptionalLong;
import uk.e42.tandem.state.ResourceState;

/**
 * A resource's state and counters at one moment, for status, /proc/drbd, events2, health and
 * metrics. Sizes in bytes, counters in KiB unless named otherwise. Sent and received data count
 * from the current connection's start, as DRBD's ns/nr do; the totals since the daemon started.
 */
public record ResourceSnapshot(ResourceState state, long sizeBytes, long outOfSyncBits, long readBytes,
        long writtenBytes, long alWrites, long bmWrites, long upperPending, long sentBytes, long receivedBytes,
        long sentBytesTotal, long receivedBytesTotal, long pending, long unacked, long epochs, Optional<Sync> sync) {

    /** DRBD's dr: KiB read for clients. */
    public long readKib() {
        return readBytes >>> 10;
    }

    /** DRBD's dw: KiB written for clients. */
    public long writtenKib() {
        return writtenBytes >>> 10;
    }

    /** DRBD's ns: KiB sent on this connection. */
    public long sentKib() {
        return sentBytes >>> 10;
    }

    /** DRBD's nr: KiB received on this connection. */
    public long receivedKib() {
        return receivedBytes >>> 10;
    }

    /**
     * A running resync's or verify's figures (the side that issues requests knows {@code want});
     * {@code leftBits}: out-of-sync bits still to go, or blocks still to verify.
     */
    public record Sync(long totalBits, long leftBits, long recentKibPerSec, long averageKibPerSec, OptionalLong wantKibPerSec,
            boolean stalled) {
    }
}
