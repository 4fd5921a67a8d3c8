package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Disk work in submission order, on the submitter's thread only when nothing before it is left. */
class DiskLaneTest {

    @Test
    void workSubmittedWhileTheLaneIsIdleRunsOnTheSubmittingThread() {
        try (DiskLane lane = new DiskLane("lane-under-test")) {
            List<Thread> ranOn = new ArrayList<>();
            assertTrue(lane.runHereIfIdle(() -> ranOn.add(Thread.currentThread())));
            assertTrue(lane.runHereIfIdle(() -> ranOn.add(Thread.currentThread())));
            assertEquals(List.of(Thread.currentThread(), Thread.currentThread()), ranOn);
        }
    }

    @Test
    void workBehindQueuedWorkWaitsItsTurnOnTheLanesThread() throws Exception {
        try (DiskLane lane = new DiskLane("lane-under-test")) {
            CountDownLatch release = new CountDownLatch(1);
            List<String> order = new CopyOnWriteArrayList<>();
            lane.queue(() -> {
                await(release);
                order.add("queued first");
            });
            assertFalse(lane.runHereIfIdle(() -> order.add("small, on " + Thread.currentThread().getName())),
                    "the first task is still running: the second must not overtake it");
            assertEquals(List.of(), order);
            release.countDown();
            CountDownLatch drained = new CountDownLatch(1);
            lane.queue(drained::countDown);
            assertTrue(drained.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("queued first", "small, on lane-under-test"), order);
        }
    }

    @Test
    void onceTheQueueHasDrainedTheSubmitterRunsWorkItselfAgainAndSeesWhatTheLaneWrote() throws Exception {
        try (DiskLane lane = new DiskLane("lane-under-test")) {
            int[] written = new int[1];
            for (int i = 1; i <= 1000; i++) {
                int value = i;
                lane.queue(() -> written[0] = value);
            }
            List<Integer> seenHere = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!lane.runHereIfIdle(() -> seenHere.add(written[0]))) {
                assertTrue(System.nanoTime() < deadline, "the lane never drained");
            }
            assertEquals(1000, seenHere.getLast(), "run here only after the last queued task, with its effects seen");
        }
    }

    @Test
    void aClosedLaneRefusesWorkQueuedOrToRunHere() {
        DiskLane lane = new DiskLane("lane-under-test");
        lane.close();
        List<String> ran = new ArrayList<>();
        assertThrows(RejectedExecutionException.class, () -> lane.queue(() -> ran.add("queued")));
        assertThrows(RejectedExecutionException.class, () -> lane.runHereIfIdle(() -> ran.add("here")));
        assertEquals(List.of(), ran);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
