package uk.e42.tandem.device;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
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
    /** Confined to the executor. */
    private final ArrayDeque<Queued> waiting = new ArrayDeque<>();
    private boolean pumpScheduled;
    private volatile boolean closed;

    private record Queued(DataPacket packet, int permits, Runnable handedOver) {
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
        if (closed) {
            return false;
        }
        int permits = Math.min(packet.getSerializedSize(), windowBytes);
        window.acquireUninterruptibly(permits);
        if (closed) {
            window.release(permits);
            return false;
        }
        executor.execute(() -> {
            waiting.add(new Queued(packet, permits, handedOver));
            pump();
        });
        return true;
    }

    /** From the executor only: a packet that must not wait for the window (it is never large). */
    void sendNow(DataPacket packet) {
        waiting.add(new Queued(packet, 0, null));
        pump();
    }

    private void pump() {
        while (!waiting.isEmpty() && !closed) {
            Queued head = waiting.peek();
            if (!connection.sendData(head.packet())) {
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

    /** The connection ended: wake every blocked sender; nothing more goes out. */
    void close() {
        closed = true;
        window.release(Integer.MAX_VALUE / 2);
        executor.execute(waiting::clear);
    }
}
