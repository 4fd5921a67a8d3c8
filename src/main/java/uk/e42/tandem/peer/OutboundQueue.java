package uk.e42.tandem.peer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The bounded wait between a sender and a transport that is not ready: at most {@code limitBytes}
 * (one packet always fits into an empty queue, so a packet larger than the limit still moves).
 * Single-threaded, like the link that owns it.
 */
final class OutboundQueue<T> {

    private record Entry<T>(T packet, int bytes) {
    }

    private final ArrayDeque<Entry<T>> queue = new ArrayDeque<>();
    private final List<Runnable> writableTasks = new ArrayList<>();
    private final long limitBytes;
    private long bytes;
    private long stalledSince = -1;

    OutboundQueue(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("queue limit " + limitBytes + " must be positive");
        }
        this.limitBytes = limitBytes;
    }

    boolean offer(T packet, int size, long now) {
        if (bytes > 0 && bytes + size > limitBytes) {
            return false;
        }
        if (queue.isEmpty()) {
            stalledSince = now;
        }
        queue.add(new Entry<>(packet, size));
        bytes += size;
        return true;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** The head, left in the queue. */
    T peek() {
        Entry<T> head = queue.peek();
        if (head == null) {
            throw new IllegalStateException("peek on an empty queue");
        }
        return head.packet();
    }

    /** Takes the head for the transport; counts as progress. */
    T poll(long now) {
        Entry<T> head = queue.poll();
        if (head == null) {
            throw new IllegalStateException("poll on an empty queue");
        }
        bytes -= head.bytes();
        stalledSince = queue.isEmpty() ? -1 : now;
        return head.packet();
    }

    long bytes() {
        return bytes;
    }

    long stalledSince() {
        return stalledSince;
    }

    /** Room again once half the window drained: senders resume in batches, not packet by packet. */
    boolean writable() {
        return bytes <= limitBytes / 2;
    }

    void whenWritable(Runnable task) {
        if (writable()) {
            task.run();
        } else {
            writableTasks.add(task);
        }
    }

    /** Runs the waiting tasks if there is room now; call after draining. */
    void runWritableTasks() {
        if (writableTasks.isEmpty() || !writable()) {
            return;
        }
        List<Runnable> tasks = List.copyOf(writableTasks);
        writableTasks.clear();
        tasks.forEach(Runnable::run);
    }

    /** Drops everything: the link is gone and its packets with it. Returns the packets dropped, oldest first. */
    List<T> clear() {
        List<T> dropped = new ArrayList<>(queue.size());
        queue.forEach(entry -> dropped.add(entry.packet()));
        queue.clear();
        writableTasks.clear();
        bytes = 0;
        stalledSince = -1;
        return dropped;
    }
}
