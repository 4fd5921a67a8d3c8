package uk.e42.tandem.device;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import uk.e42.tandem.peer.PacketNames;
import uk.e42.tandem.peer.PeerConnection;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * The data stream's one door, for any thread: packets leave in the order callers handed them in,
 * and a caller blocks while the bytes not yet taken by the link exceed the window (sndbuf-size),
 * so neither this queue nor the link's grows without bound.
 *
 * <p>The caller hands its packet to the link itself (gRPC serializes it on the caller's thread) unless
 * another thread is doing so already, which then takes it too: a protocol C write no longer waits for
 * the resource executor to wake up and pass it on (one thread wake-up fewer on every replicated write).
 */
final class PacketSender {
    private static final Logger LOG = Logger.getLogger(PacketSender.class);
    private final PeerConnection connection;
    private final Semaphore window;
    private final int windowBytes;
    private final ConcurrentLinkedQueue<Queued> waiting = new ConcurrentLinkedQueue<>();
    /**
     * Requests to hand the waiting packets on, not yet served. The thread that raises it from zero
     * serves them all, its own and those that arrive meanwhile, so only one thread at a time takes
     * packets from {@link #waiting} (their order on the wire is the order they were queued in).
     */
    private final AtomicInteger handOnRequests = new AtomicInteger();
    /** Whether the link was asked to say when it has room again; set and cleared by the handing-on thread. */
    private volatile boolean awaitingRoom;
    private volatile boolean closed;

    private record Queued(DataPacket packet, int permits, Runnable handedOver, Consumer<Boolean> serialized) {
    }

    PacketSender(PeerConnection connection, long windowBytes) {
        this.connection = connection;
        this.windowBytes = (int) Math.min(Integer.MAX_VALUE, Math.max(windowBytes, 64 << 10));
        this.window = new Semaphore(this.windowBytes);
    }

    /**
     * Queues a packet; blocks while the window is full. {@code handedOver} runs when the link took the
     * packet, on whichever thread handed it on, in the order of the packets; it does not run if the
     * connection ends first.
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
        // Queued after close() emptied the queue, the packet is dropped (and told so) by the hand-on below.
        waiting.add(new Queued(packet, permits, handedOver, serialized));
        handOn();
        return true;
    }

    /** A packet that must not wait for the window (it is never large); {@code handedOver} as in {@link #send}. */
    void sendNow(DataPacket packet, Runnable handedOver) {
        if (closed) {
            return;
        }
        waiting.add(new Queued(packet, 0, handedOver, null));
        handOn();
    }

    void sendNow(DataPacket packet) {
        sendNow(packet, null);
    }

    /** Serves every request to hand on, or leaves them to the thread already serving. */
    private void handOn() {
        if (handOnRequests.getAndIncrement() != 0) {
            return;
        }
        int requests = 1;
        do {
            try {
                if (closed) {
                    dropWaiting();
                } else if (!awaitingRoom) {
                    pump();
                }
            } finally {
                // Counted down whatever happened: a count left above zero would leave every later packet to nobody.
                requests = handOnRequests.addAndGet(-requests);
            }
        } while (requests != 0);
    }

    /** On the handing-on thread only. */
    private void pump() {
        Queued head;
        while (!closed && (head = waiting.peek()) != null) {
            boolean taken;
            try {
                taken = connection.sendData(head.packet(), head.serialized());
            } catch (RuntimeException | Error e) {
                // The link failed with the packet in hand: it is the link's now (never handed on twice: its
                // bytes' owner may have heard from the link already), and the connection's end deals with it
                // as with any packet handed on. Its sender's thread, or whoever pumps for it, does not fail.
                LOG.errorf(e, "the link failed while taking %s", PacketNames.of(head.packet()));
                taken = true;
            }
            if (!taken) {
                awaitingRoom = true;
                connection.whenDataWritable(() -> {
                    awaitingRoom = false;
                    handOn();
                });
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
     * When the connection ended: wakes every blocked sender; what waits is dropped and nothing more
     * goes out.
     */
    void close() {
        closed = true;
        window.release(Integer.MAX_VALUE / 2);
        handOn();
    }

    /** On the handing-on thread only. */
    private void dropWaiting() {
        for (Queued dropped = waiting.poll(); dropped != null; dropped = waiting.poll()) {
            if (dropped.serialized() != null) {
                dropped.serialized().accept(false);
            }
        }
    }
}
