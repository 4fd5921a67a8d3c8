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

    /** A running resync's figures (the SyncTarget knows {@code want}). */
    public record Sync(long totalBits, long recentKibPerSec, long averageKibPerSec, OptionalLong wantKibPerSec,
            boolean stalled) {
    }
}
