package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IoThreadsTest {
    final IoThreads threads = new IoThreads("io-test", 4);

    @AfterEach
    void stop() {
        threads.shutdown();
    }

    private String runAndWait(Runnable before) throws Exception {
        CompletableFuture<String> ran = new CompletableFuture<>();
        threads.execute(() -> {
            before.run();
            ran.complete(Thread.currentThread().getName());
        });
        return ran.get(10, TimeUnit.SECONDS);
    }

    private void awaitIdle(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (threads.idleThreads() != count) {
            assertTrue(System.nanoTime() < deadline, "threads never went idle: " + threads.idleThreads() + " of " + count);
            Thread.sleep(1);
        }
    }

    @Test
    void oneTaskAtATimeStaysOnOneThread() throws Exception {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            names.add(runAndWait(() -> {
            }));
            awaitIdle(1);
        }
        assertEquals(Set.of("io-test-0"), names);
        assertEquals(1, threads.threads());
    }

    @Test
    void theThreadThatWentIdleLastGetsTheNextTask() throws Exception {
        // Start all four threads, then let them go idle one after the other.
        List<CountDownLatch> release = new ArrayList<>();
        CountDownLatch running = new CountDownLatch(4);
        List<CompletableFuture<String>> names = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            CountDownLatch mine = new CountDownLatch(1);
            release.add(mine);
            CompletableFuture<String> name = new CompletableFuture<>();
            names.add(name);
            threads.execute(() -> {
                name.complete(Thread.currentThread().getName());
                running.countDown();
                await(mine);
            });
        }
        assertTrue(running.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 4; i++) {
            release.get(i).countDown();
            awaitIdle(i + 1);
        }
        assertEquals(names.get(3).get(), runAndWait(() -> {
        }));
    }

    @Test
    void tasksWaitWhileEveryThreadIsBusyAndRunOnceOneIsFree() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        occupyEveryThread(release);
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(20);
        for (int i = 0; i < 20; i++) {
            int n = i;
            threads.execute(() -> {
                order.add(n);
                done.countDown();
            });
        }
        assertEquals(4, threads.threads());
        assertTrue(order.isEmpty(), "a task ran although every thread was busy");
        release.countDown();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(20, order.size());
        assertEquals(4, threads.threads());
    }

    @Test
    void aFailingTaskDoesNotCostTheThread() throws Exception {
        threads.execute(() -> {
            throw new IllegalStateException("injected");
        });
        awaitIdle(1);
        assertEquals("io-test-0", runAndWait(() -> {
        }));
    }

    @Test
    void shutdownFinishesWaitingTasksThenRejects() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        occupyEveryThread(release);
        CountDownLatch queued = new CountDownLatch(1);
        threads.execute(queued::countDown);
        threads.shutdown();
        assertThrows(RejectedExecutionException.class, () -> threads.execute(() -> {
        }));
        assertFalse(queued.await(50, TimeUnit.MILLISECONDS), "the queued task ran while every thread was busy");
        release.countDown();
        assertTrue(queued.await(10, TimeUnit.SECONDS), "a task queued before shutdown never ran");
    }

    @Test
    void shutdownEndsIdleThreads() throws Exception {
        runAndWait(() -> {
        });
        awaitIdle(1);
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Thread worker = before.stream().filter(t -> t.getName().equals("io-test-0")).findFirst().orElseThrow();
        threads.shutdown();
        worker.join(10_000);
        assertFalse(worker.isAlive(), "an idle thread outlived shutdown");
    }

    /** Starts one task per thread that blocks until {@code release}; returns once all of them run. */
    private void occupyEveryThread(CountDownLatch release) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(4);
        for (int i = 0; i < 4; i++) {
            threads.execute(() -> {
                running.countDown();
                await(release);
            });
        }
        assertTrue(running.await(10, TimeUnit.SECONDS));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
