package uk.e42.tandem.device;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps application writes and resync reads of the same region in one order on the data stream:
 * a resync reply read before a newer write must not reach the peer after it. Regions are 1 MiB
 * stripes (a resync request is at most 1 MiB and aligned), hashed onto a fixed set of locks that
 * are always taken in ascending order, so two ranges never deadlock.
 */
final class StripeLocks {
    static final int STRIPE_SHIFT = 20;
    private static final int LOCKS = 256;

    private final ReentrantLock[] locks = new ReentrantLock[LOCKS];

    StripeLocks() {
        for (int i = 0; i < LOCKS; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** Locks every stripe of {@code [offset, offset + length)}; unlock with the returned handle. */
    Held lock(long offset, long length) {
        long first = offset >>> STRIPE_SHIFT;
        long last = (offset + Math.max(length, 1) - 1) >>> STRIPE_SHIFT;
        boolean[] take = new boolean[LOCKS];
        if (last - first + 1 >= LOCKS) {
            Arrays.fill(take, true);
        } else {
            for (long s = first; s <= last; s++) {
                take[(int) (s % LOCKS)] = true;
            }
        }
        for (int i = 0; i < LOCKS; i++) {
            if (take[i]) {
                locks[i].lock();
            }
        }
        return () -> {
            for (int i = LOCKS - 1; i >= 0; i--) {
                if (take[i]) {
                    locks[i].unlock();
                }
            }
        };
    }

    interface Held extends AutoCloseable {
        @Override
        void close();
    }
}
