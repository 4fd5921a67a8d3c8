package uk.e42.tandem.device;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Disk work run one task at a time in the order it was submitted, on a thread of its own, but for
 * work the submitter may run itself: when nothing is queued or running, a task that is short enough
 * runs at once on the submitting thread (a received 4 KiB write into the page cache), which keeps
 * the order and spares the wake-up of the lane's thread and the submitter's wait for it: on a
 * protocol C write at queue depth 1 every hop from one thread to another is a wake-up of an idle
 * CPU, and on this project's VMs that costs more than the write itself.
 *
 * <p>Every task must be submitted from one thread (the resource's executor): only then does "nothing
 * queued or running" stay true until the task the submitter runs itself is done.
 */
final class DiskLane implements AutoCloseable {
    private final String threadName;
    private final ExecutorService worker;
    /** Tasks queued and not yet finished; counted up by the submitter, down by the lane's thread. */
    private final AtomicInteger queued = new AtomicInteger();

    DiskLane(String threadName) {
        this.threadName = threadName;
        worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name(threadName).daemon().factory());
    }

    /** Queues {@code task} behind everything submitted before it, for the lane's thread. */
    void queue(Runnable task) {
        queued.incrementAndGet();
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } finally {
                    // After the task: the submitter that reads 0 sees everything the task did.
                    queued.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException closed) {
            queued.decrementAndGet();
            throw closed;
        }
    }

    /**
     * Runs {@code task} now, on the calling thread, if nothing submitted before it is still queued or
     * running; queues it otherwise. Either way it runs after all the tasks submitted before it. A closed
     * lane refuses it as {@link #queue} does ({@link RejectedExecutionException}).
     *
     * @return whether it ran here
     */
    boolean runHereIfIdle(Runnable task) {
        if (worker.isShutdown()) {
            throw new RejectedExecutionException("the disk lane " + threadName + " is closed");
        }
        if (queued.get() != 0) {
            queue(task);
            return false;
        }
        task.run();
        return true;
    }

    @Override
    public void close() {
        worker.shutdown();
    }
}
