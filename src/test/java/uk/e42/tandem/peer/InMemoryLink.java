package uk.e42.tandem.peer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Predicate;

import com.google.protobuf.InvalidProtocolBufferException;

import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * A {@link PeerLink} pair in memory: each end runs on its own executor, packets cross as bytes
 * (so they are really encoded and parsed), order is kept per stream, and the data window bounds
 * what waits. A test can stall an end's sending (as a network that stops forwarding), and inject
 * raw bytes as if the peer had sent them. Synchronized, as {@link #sendControl} may come from any thread.
 */
public final class InMemoryLink implements PeerLink {

    private static final long CONTROL_WINDOW = 256 << 10;

    private final ScheduledExecutorService executor;
    private final String name;
    private final OutboundQueue<Runnable> data;
    private final OutboundQueue<Runnable> control = new OutboundQueue<>(CONTROL_WINDOW);
    private final List<Runnable> early = new ArrayList<>();
    private InMemoryLink peer;
    private PeerLinkListener listener;
    private Predicate<ControlPacket> takenOnArrival;
    private boolean stalled;
    private volatile boolean closed;
    private volatile Consumer<DataPacket> afterDataTaken;
    private byte[] binding = new byte[0];

    private InMemoryLink(ScheduledExecutorService executor, String name, long dataWindow) {
        this.executor = executor;
        this.name = name;
        this.data = new OutboundQueue<>(dataWindow);
    }

    /** Two connected ends; {@code a} runs on {@code executorA}, {@code b} on {@code executorB}. */
    public static InMemoryLink[] pair(ScheduledExecutorService executorA, String nameA,
            ScheduledExecutorService executorB, String nameB, long dataWindow) {
        InMemoryLink a = new InMemoryLink(executorA, nameA, dataWindow);
        InMemoryLink b = new InMemoryLink(executorB, nameB, dataWindow);
        a.peer = b;
        b.peer = a;
        return new InMemoryLink[] {a, b};
    }

    /** The channel binding this end sees (as its TLS session would give it); set before the handshake. */
    public void useChannelBinding(byte[] bytes) {
        binding = bytes.clone();
    }

    /** Stops (true) or resumes (false) this end's sending; call on this end's executor. */
    public synchronized void stall(boolean stall) {
        stalled = stall;
        pump();
    }

    /** Makes the peer receive {@code bytes} on its data stream as if this end had sent them. */
    public void injectRawData(byte[] bytes) {
        executor.execute(() -> transmit(data, () -> peer.arrivedData(bytes.clone()), bytes.length));
    }

    @Override
    public String describe() {
        return peer.name + " (in memory)";
    }

    @Override
    public byte[] channelBinding() {
        return binding.clone();
    }

    @Override
    public void start(PeerLinkListener newListener) {
        listener = newListener;
        List<Runnable> arrived = List.copyOf(early);
        early.clear();
        arrived.forEach(Runnable::run);
    }

    /**
     * Runs on the sending thread after each data packet the link took, outside the link's lock: a test
     * holds the sender there, as a thread descheduled right after handing a packet on. Null: none.
     */
    public void afterDataTaken(Consumer<DataPacket> hook) {
        afterDataTaken = hook;
    }

    /** The packet is serialized at once, as it is taken: {@code serialized} hears true then. */
    @Override
    public boolean sendData(DataPacket packet, Consumer<Boolean> serialized) {
        boolean taken = takeData(packet, serialized);
        Consumer<DataPacket> hook = afterDataTaken;
        if (taken && hook != null) {
            hook.accept(packet);
        }
        return taken;
    }

    private synchronized boolean takeData(DataPacket packet, Consumer<Boolean> serialized) {
        if (closed) {
            if (serialized != null) {
                serialized.accept(false);
            }
            return true;
        }
        byte[] bytes = packet.toByteArray();
        boolean taken = transmit(data, () -> peer.arrivedData(bytes), bytes.length);
        if (taken && serialized != null) {
            serialized.accept(true);
        }
        return taken;
    }

    @Override
    public synchronized boolean sendControl(ControlPacket packet) {
        if (closed) {
            return true;
        }
        byte[] bytes = packet.toByteArray();
        return transmit(control, () -> peer.arrivedControl(bytes), bytes.length);
    }

    @Override
    public synchronized void takeControlOnArrival(Predicate<ControlPacket> taker) {
        takenOnArrival = taker;
    }

    @Override
    public synchronized void whenDataWritable(Runnable task) {
        data.whenWritable(task);
    }

    @Override
    public synchronized long dataBytesQueued() {
        return data.bytes();
    }

    @Override
    public synchronized long dataStalledSince() {
        return data.stalledSince();
    }

    @Override
    public synchronized long controlStalledSince() {
        return control.stalledSince();
    }

    @Override
    public synchronized void close(String reason) {
        if (closed) {
            return;
        }
        pump();
        closed = true;
        data.clear();
        control.clear();
        peer.executor.execute(() -> peer.peerClosed("the peer closed the connection: " + reason));
    }

    private synchronized boolean transmit(OutboundQueue<Runnable> queue, Runnable arrival, int bytes) {
        if (!queue.offer(arrival, bytes, System.nanoTime())) {
            return false;
        }
        pump();
        return true;
    }

    private void pump() {
        if (stalled || closed) {
            return;
        }
        long now = System.nanoTime();
        while (!control.isEmpty()) {
            peer.executor.execute(control.poll(now));
        }
        while (!data.isEmpty()) {
            peer.executor.execute(data.poll(now));
        }
        data.runWritableTasks();
    }

    private void arrivedData(byte[] bytes) {
        deliver(() -> {
            try {
                listener.onData(DataPacket.parseFrom(bytes), InboundBuffer.NONE);
            } catch (InvalidProtocolBufferException e) {
                garbage("data", bytes, e);
            }
        });
    }

    private void arrivedControl(byte[] bytes) {
        deliver(() -> {
            try {
                ControlPacket packet = ControlPacket.parseFrom(bytes);
                Predicate<ControlPacket> taker = takenOnArrival;
                if (taker == null || !taker.test(packet)) {
                    listener.onControl(packet);
                }
            } catch (InvalidProtocolBufferException e) {
                garbage("control", bytes, e);
            }
        });
    }

    private void deliver(Runnable delivery) {
        if (closed) {
            return;
        }
        if (listener == null) {
            early.add(delivery);
        } else {
            delivery.run();
        }
    }

    private void garbage(String stream, byte[] bytes, InvalidProtocolBufferException e) {
        String reason = "received garbage on the " + stream + " stream from " + peer.name + " (" + bytes.length
                + " bytes): " + e.getMessage();
        PeerLinkListener told = listener;
        close(reason);
        told.onClosed(ConnState.CONN_PROTOCOL_ERROR, reason);
    }

    private synchronized void peerClosed(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        data.clear();
        control.clear();
        if (listener != null) {
            listener.onClosed(ConnState.CONN_BROKEN_PIPE, reason);
        }
    }
}
