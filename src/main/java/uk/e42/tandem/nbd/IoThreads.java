package uk.e42.tandem.nbd;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Up to a fixed number of platform threads for blocking disk I/O, each new task handed to the thread
 * that went idle last. At queue depth 1 every request then lands on the same warm thread; a fixed
 * {@code ThreadPoolExecutor} wakes the thread that has waited longest and so cycles through all of
 * them, and a {@code ForkJoinPool} keeps the warm thread but costs a sixth of the IOPS at queue depth
 * 32 on two cores (bench/README.md). Tasks wait in arrival order while every thread is busy; the
 * callers bound how many (the connections' in-flight windows). Threads start as tasks need them.
 */
final class IoThreads implements Executor {
    private static final Logger LOG = Logger.getLogger(IoThreads.class);

    private final String name;
    private final int maximum;
    private final ReentrantLock lock = new ReentrantLock();
    /** Waiting tasks, oldest first; only filled while no thread is idle. */
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    /** Idle threads, the one that went idle last first. */
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();
    private int started;
    private volatile boolean shutdown;

    /** One thread and the task handed to it while it was idle. */
    private final class Worker implements Runnable {
        private volatile Thread thread;
        private volatile Runnable handed;

        Worker(Runnable first) {
            this.handed = first;
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            Runnable task = handed;
            handed = null;
            while (task != null) {
                try {
                    task.run();
                } catch (Throwable e) {
                    LOG.errorf(e, "%s: a task failed", Thread.currentThread().getName());
                }
                task = next(this);
            }
        }
    }

    IoThreads(String name, int maximum) {
        if (maximum < 1) {
            throw new IllegalArgumentException(name + ": needs at least one thread, not " + maximum);
        }
        this.name = name;
        this.maximum = maximum;
    }

    @Override
    public void execute(Runnable task) {
        Worker woken;
        lock.lock();
        try {
            if (shutdown) {
                throw new RejectedExecutionException(name + " is shut down");
            }
            woken = idle.pollFirst();
            if (woken != null) {
                woken.handed = task;
            } else if (started < maximum) {
                Thread.ofPlatform().daemon().name(name + "-" + started++).start(new Worker(task));
                return;
            } else {
                waiting.add(task);
                return;
            }
        } finally {
            lock.unlock();
        }
        LockSupport.unpark(woken.thread);
    }

    /** Lets the waiting tasks finish, then ends every thread; later tasks are rejected. */
    void shutdown() {
        lock.lock();
        try {
            shutdown = true;
            for (Worker w : idle) {
                LockSupport.unpark(w.thread);
            }
            idle.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Threads started so far. */
    int threads() {
        lock.lock();
        try {
            return started;
        } finally {
            lock.unlock();
        }
    }

    /** Threads waiting for a task. */
    int idleThreads() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    /** The next task for a thread that finished one: a waiting one, else one handed over; null once shut down. */
    private Runnable next(Worker self) {
        lock.lock();
        try {
            Runnable task = waiting.poll();
            if (task != null) {
                return task;
            }
            if (shutdown) {
                return null;
            }
            idle.addFirst(self);
        } finally {
            lock.unlock();
        }
        Runnable task;
        while ((task = self.handed) == null) {
            // Once shutdown() ran, this thread is off the idle list and nothing more can be handed to it;
            // a task handed just before is visible now, so look once more.
            if (shutdown && (task = self.handed) == null) {
                return null;
            }
            if (task != null) {
                break;
            }
            LockSupport.park(this);
        }
        self.handed = null;
        return task;
    }
}
