package uk.e42.tandem.device;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import uk.e42.tandem.peer.PeerConnection;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * The data stream's one door, for any thread: packets leave in the order callers handed them in,
 * and a caller blocks while the bytes not yet taken by the link exceed the window (sndbuf-size),
 * so neither this queue nor the link's grows without bound.
 */
final class PacketSender {
    private final PeerConnection connection;
    private final Executor executor;
    private final Semaphore window;
    private final int windowBytes;
    /**
     * Filled by any thread and emptied on the executor; once closed, by whoever finds packets in it (a
     * sender that queued after {@link #close} emptied it), so no packet's fate depends on a task the
     * executor may never run.
     */
    private final ConcurrentLinkedQueue<Queued> waiting = new ConcurrentLinkedQueue<>();
    /** Confined to the executor. */
    private boolean pumpScheduled;
    private volatile boolean closed;

    private record Queued(DataPacket packet, int permits, Runnable handedOver, Consumer<Boolean> serialized) {
    }

    PacketSender(PeerConnection connection, Executor executor, long windowBytes) {
        this.connection = connection;
        this.executor = executor;
        this.windowBytes = (int) Math.min(Integer.MAX_VALUE, Math.max(windowBytes, 64 << 10));
        this.window = new Semaphore(this.windowBytes);
    }

    /**
     * Queues a packet; blocks while the window is full. {@code handedOver} runs on the executor when
     * the link took the packet (protocol A's completion point); it does not run if the connection ends
     * first.
     *
     * @return false when the connection is already gone
     */
    boolean send(DataPacket packet, Runnable handedOver) {
        return send(packet, handedOver, null);
    }

    /**
     * As {@link #send(DataPacket, Runnable)}, for a packet whose bytes are borrowed: {@code serialized}
     * is told exactly once, from any thread, whether the link serialized the packet (true; its bytes
     * are not read again) or dropped it because the connection ended (false); not at all when this
     * returns false.
     */
    boolean send(DataPacket packet, Runnable handedOver, Consumer<Boolean> serialized) {
        if (closed) {
            return false;
        }
        int permits = Math.min(packet.getSerializedSize(), windowBytes);
        window.acquireUninterruptibly(permits);
        if (closed) {
            window.release(permits);
            return false;
        }
        waiting.add(new Queued(packet, permits, handedOver, serialized));
        if (closed) {
            // close() may have emptied the queue before this packet was in it.
            dropWaiting();
        } else {
            executor.execute(this::pump);
        }
        return true;
    }

    /** From the executor only: a packet that must not wait for the window (it is never large). */
    void sendNow(DataPacket packet) {
        if (closed) {
            return;
        }
        waiting.add(new Queued(packet, 0, null, null));
        pump();
    }

    private void pump() {
        Queued head;
        while (!closed && (head = waiting.peek()) != null) {
            if (!connection.sendData(head.packet(), head.serialized())) {
                if (!pumpScheduled) {
                    pumpScheduled = true;
                    connection.whenDataWritable(() -> {
                        pumpScheduled = false;
                        pump();
                    });
                }
                return;
            }
            waiting.poll();
            window.release(head.permits());
            if (head.handedOver() != null) {
                head.handedOver().run();
            }
        }
    }

    /**
     * On the executor, when the connection ended: wakes every blocked sender; what waits is dropped
     * and nothing more goes out.
     */
    void close() {
        closed = true;
        window.release(Integer.MAX_VALUE / 2);
        dropWaiting();
    }

    private void dropWaiting() {
        for (Queued dropped = waiting.poll(); dropped != null; dropped = waiting.poll()) {
            if (dropped.serialized() != null) {
                dropped.serialized().accept(false);
            }
        }
    }
}
