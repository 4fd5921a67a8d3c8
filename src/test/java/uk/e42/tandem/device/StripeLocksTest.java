package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StripeLocksTest {
    private static final long STRIPE = 1L << StripeLocks.STRIPE_SHIFT;
    private static final long RING = STRIPE * StripeLocks.LOCKS;

    private final StripeLocks stripes = new StripeLocks();

    /** Whether another thread gets {@code [offset, offset + length)} within 300 ms, while this thread holds what it holds. */
    private boolean lockableBesides(long offset, long length) throws InterruptedException {
        CountDownLatch got = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().start(() -> {
            try (StripeLocks.Held h = stripes.lock(offset, length)) {
                got.countDown();
            }
        });
        boolean acquired = got.await(300, TimeUnit.MILLISECONDS);
        if (!acquired) {
            // Still blocked: it gets the lock once the caller lets go, and must then finish.
            return false;
        }
        other.join();
        return true;
    }

    private void assertBlockedUntilReleased(StripeLocks.Held held, long offset, long length) throws Exception {
        CountDownLatch got = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().start(() -> {
            try (StripeLocks.Held h = stripes.lock(offset, length)) {
                got.countDown();
            }
        });
        assertFalse(got.await(300, TimeUnit.MILLISECONDS), offset + "+" + length + " must wait");
        held.close();
        assertTrue(got.await(10, TimeUnit.SECONDS), offset + "+" + length + " must run once released");
        other.join();
    }

    @Test
    void writesInTheSameStripeWaitForEachOther() throws Exception {
        assertBlockedUntilReleased(stripes.lock(0, 4096), STRIPE - 4096, 4096);
    }

    @Test
    void writesInNeighbouringStripesRunSideBySide() throws Exception {
        try (StripeLocks.Held held = stripes.lock(0, 4096)) {
            assertTrue(lockableBesides(STRIPE, 4096));
            assertTrue(lockableBesides(3 * STRIPE + 8192, 4096));
        }
    }

    @Test
    void aResyncRequestOfOneMibHoldsEveryStripeItCovers() throws Exception {
        StripeLocks.Held held = stripes.lock(1 << 20, 1 << 20);
        assertTrue(lockableBesides((1 << 20) - 4096, 4096), "the stripe before it is free");
        assertTrue(lockableBesides(2 << 20, 4096), "the stripe after it is free");
        assertBlockedUntilReleased(held, (2 << 20) - 4096, 4096);
    }

    @Test
    void stripesOneRingApartShareTheirLock() throws Exception {
        assertBlockedUntilReleased(stripes.lock(5 * STRIPE, 4096), RING + 5 * STRIPE, 4096);
    }

    @Test
    void aRangeThatWrapsAroundTheRingHoldsBothEnds() throws Exception {
        long lastStripe = (StripeLocks.LOCKS - 1) * STRIPE;
        StripeLocks.Held held = stripes.lock(lastStripe, 2 * STRIPE);
        assertTrue(lockableBesides(STRIPE, 4096), "lock 1 is not part of it");
        assertTrue(lockableBesides(lastStripe - STRIPE, 4096), "the lock before the last is not part of it");
        CountDownLatch first = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().start(() -> {
            try (StripeLocks.Held h = stripes.lock(0, 4096)) {
                first.countDown();
            }
        });
        assertFalse(first.await(300, TimeUnit.MILLISECONDS), "lock 0 is held by the wrapping range");
        assertBlockedUntilReleased(held, lastStripe, 4096);
        assertTrue(first.await(10, TimeUnit.SECONDS));
        other.join();
    }

    @Test
    void aRangeLongerThanTheRingHoldsEveryLock() throws Exception {
        StripeLocks.Held held = stripes.lock(3 * STRIPE, RING + STRIPE);
        assertFalse(lockableBesides(STRIPE, 4096));
        assertBlockedUntilReleased(held, 2 * STRIPE, 4096);
    }

    /** Overlapping, wrapping and whole-ring ranges from many threads: ascending order means no deadlock. */
    @Test
    void rangesTakenFromManyThreadsNeverDeadlock() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < 2000; i++) {
                    long offset = random.nextLong(2 * RING) & ~4095L;
                    long length = switch (random.nextInt(4)) {
                        case 0 -> 4096;
                        case 1 -> 1 << 20;
                        case 2 -> RING + STRIPE;
                        default -> random.nextLong(1, 4 * STRIPE) & ~4095L;
                    };
                    try (StripeLocks.Held h = stripes.lock(offset, Math.max(length, 4096))) {
                        Thread.onSpinWait();
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(thread.isAlive(), "a thread is stuck: lock order broken");
        }
    }
}
