package uk.e42.tandem.device;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Keeps application writes and resync reads of the same region in one order on the data stream:
 * a resync reply read before a newer write must not reach the peer after it. Regions are 64 KiB
 * stripes mapped round-robin onto a fixed ring of locks (stripe {@code s} takes lock
 * {@code s % LOCKS}), always taken in ascending lock order, so two ranges never deadlock.
 *
 * <p>Why small stripes and many locks: a write holds its stripes while the disk takes it, so two
 * unrelated writes that share a lock run one after the other. With 1 MiB stripes on 256 locks,
 * 32 random 4 KiB writes in flight on a few hundred MiB nearly always had two on one lock, and
 * one waited (parked) for the other's disk write. A 1 MiB resync request now takes 16 locks.
 */
final class StripeLocks {
    static final int STRIPE_SHIFT = 16;
    static final int LOCKS = 1024;

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
        Span span = last - first + 1 >= LOCKS ? new Span(0, LOCKS - 1)
                : new Span((int) (first % LOCKS), (int) (last % LOCKS));
        span.forEachAscending(i -> locks[i].lock());
        return () -> span.forEachDescending(i -> locks[i].unlock());
    }

    /**
     * The locks of a range: {@code from..to}, or, where the range wraps around the ring ({@code to < from}),
     * {@code 0..to} and {@code from..LOCKS-1}.
     */
    record Span(int from, int to) {
        void forEachAscending(IntConsumer action) {
            if (to < from) {
                for (int i = 0; i <= to; i++) {
                    action.accept(i);
                }
                for (int i = from; i < LOCKS; i++) {
                    action.accept(i);
                }
            } else {
                for (int i = from; i <= to; i++) {
                    action.accept(i);
                }
            }
        }

        void forEachDescending(IntConsumer action) {
            if (to < from) {
                for (int i = LOCKS - 1; i >= from; i--) {
                    action.accept(i);
                }
                for (int i = to; i >= 0; i--) {
                    action.accept(i);
                }
            } else {
                for (int i = to; i >= from; i--) {
                    action.accept(i);
                }
            }
        }
    }

    interface Held extends AutoCloseable {
        @Override
        void close();
    }
}
