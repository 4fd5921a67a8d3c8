package uk.e42.tandem.device;

import java.util.Optional;
import java.util.OptionalLong;
import uk.e42.tandem.state.ResourceState;

/**
 * A resource's state and counters at one moment, for status, /proc/drbd, events2, health and
 * metrics. Sizes in bytes, counters in KiB unless named otherwise.
 */
public record ResourceSnapshot(ResourceState state, long sizeBytes, long outOfSyncBits, long readKib,
        long writtenKib, long alWrites, long bmWrites, long upperPending, long sentKib, long receivedKib,
        long pending, long unacked, long epochs, Optional<Sync> sync) {

    /**
     * A running resync's or verify's figures (the side that issues requests knows {@code want});
     * {@code leftBits}: out-of-sync bits still to go, or blocks still to verify.
     */
    public record Sync(long totalBits, long leftBits, long recentKibPerSec, long averageKibPerSec, OptionalLong wantKibPerSec,
            boolean stalled) {
    }
}
