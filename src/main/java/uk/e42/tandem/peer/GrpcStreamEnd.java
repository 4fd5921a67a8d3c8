package uk.e42.tandem.peer;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;

import io.grpc.Status;
import io.grpc.stub.CallStreamObserver;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.jboss.logging.Logger;
import uk.e42.tandem.peer.v1.ConnState;

/**
 * Our end of one gRPC stream (client or server side), flow-controlled both ways: outbound packets
 * wait in a bounded {@link OutboundQueue} until gRPC says the stream is ready; inbound packets are
 * requested one at a time as the receiver consumes them, so a slow receiver slows the peer down
 * instead of filling memory. gRPC's callbacks are moved onto the link's executor, but for packets
 * a taker claims on arrival (write acks: each hop to the executor is a thread wake-up on the
 * protocol C write path).
 *
 * <p>gRPC copies a message into its own buffers during {@code onNext} (a call still waiting for its
 * transport keeps the message object instead, and that only at the start). So a packet whose bytes
 * are borrowed is done with when {@code onNext} returned, and its sender is told then, or told that it
 * was dropped.
 *
 * <p>A received packet whose payload aliases gRPC's buffers (see {@link InboundMarshaller}) goes to the
 * receiver with an {@link InboundBuffer} to release; its slot in the inbound window is only given back
 * (the next packet requested) then, so at most the window's packets hold Netty memory. Packets this end
 * drops (arriving after the end, waiting in the early queue) are released here.
 *
 * <p>The sending side may be called from any thread (write acks leave from the disk worker): every
 * use of gRPC's outbound observer, whose methods must not run concurrently, and of the queue holds
 * this object's lock. Receiving stays on the executor.
 */
final class GrpcStreamEnd<T extends Message> {
    private static final Logger LOG = Logger.getLogger(GrpcStreamEnd.class);

    private final String stream;
    private final String peer;
    private final boolean clientSide;
    private final Executor executor;
    private final OutboundQueue<Outgoing<T>> queue;
    private final int onReadyThreshold;
    private final ArrayDeque<Inbound<T>> early = new ArrayDeque<>();
    private CallStreamObserver<T> out;
    private Receiver<T> receiver;
    private BiConsumer<ConnState, String> onBroken;
    private volatile Predicate<T> takenOnArrival;
    private volatile boolean closed;
    private ConnState brokenState;
    private String brokenReason;

    /** Takes arriving packets; must release {@code buffer} once done with the packet's bytes. */
    interface Receiver<T> {
        void accept(T packet, InboundBuffer buffer);
    }

    /** A queued packet and who waits to hear that it was serialized or dropped (null: nobody). */
    private record Outgoing<T>(T packet, Consumer<Boolean> serialized) {
    }

    /**
     * @param stream     "data" or "control", for log lines
     * @param peer       who is at the other end, for log lines
     * @param clientSide whether we opened the stream (close = half-close) or the peer did
     *                   (close = end the call with the reason as status)
     */
    GrpcStreamEnd(String stream, String peer, boolean clientSide, Executor executor, long windowBytes) {
        this.stream = stream;
        this.peer = peer;
        this.clientSide = clientSide;
        this.executor = executor;
        this.queue = new OutboundQueue<>(windowBytes);
        this.onReadyThreshold = (int) Math.min(Integer.MAX_VALUE, windowBytes);
    }

    /**
     * How many bytes gRPC may hold unsent before it calls the stream not ready: the stream's window,
     * not gRPC's 32 KiB default, under which one 1 MiB write made the stream unready until it was
     * on the wire, so the next write was only serialized after the last was encrypted and sent.
     * The client side sets it on the stub ({@link io.grpc.stub.AbstractStub#withOnReadyThreshold}).
     */
    int onReadyThreshold() {
        return onReadyThreshold;
    }

    /** Attaches gRPC's side; call before the call starts (client: beforeStart; server: in the method). */
    void attach(CallStreamObserver<T> observer, int inboundWindow) {
        out = observer;
        out.setOnReadyHandler(() -> post(this::drain));
        if (observer instanceof ClientCallStreamObserver<T> client) {
            client.disableAutoRequestWithInitial(inboundWindow);
        } else if (observer instanceof ServerCallStreamObserver<T> server) {
            server.disableAutoRequest();
            server.setOnReadyThreshold(onReadyThreshold);
            server.request(inboundWindow);
        } else {
            throw new IllegalArgumentException("not a gRPC call stream: " + observer.getClass().getName());
        }
    }

    /** The inbound side to hand to gRPC; moves every callback onto the executor. */
    StreamObserver<Inbound<T>> inbound() {
        return new StreamObserver<>() {
            @Override
            public void onNext(Inbound<T> packet) {
                Predicate<T> taker = takenOnArrival;
                if (taker != null && taker.test(packet.packet())) {
                    packet.release();
                    requestNext();
                } else if (!post(() -> arrived(packet))) {
                    packet.release();
                }
            }

            @Override
            public void onError(Throwable t) {
                post(() -> failed(t));
            }

            @Override
            public void onCompleted() {
                post(() -> broken(ConnState.CONN_BROKEN_PIPE, "the peer closed the " + stream + " stream"));
            }
        };
    }

    private boolean post(Runnable task) {
        try {
            executor.execute(task);
            return true;
        } catch (RejectedExecutionException resourceGone) {
            // The resource is down and its executor with it: nobody is left to tell.
            return false;
        }
    }

    /** Who gets arriving packets; null holds them (at most the inbound window) until set. */
    void receiveWith(Receiver<T> newReceiver) {
        receiver = newReceiver;
        while (receiver != null && !early.isEmpty() && !closed) {
            deliver(early.poll());
        }
    }

    /**
     * Packets {@code taker} returns true for are consumed on gRPC's thread as they arrive, and not
     * delivered to the receiver: {@code taker} must be thread-safe and must not block. Null: none.
     */
    void takeOnArrival(Predicate<T> taker) {
        takenOnArrival = taker;
    }

    /** Who hears when the stream breaks; told at once if it broke already. */
    void onBroken(BiConsumer<ConnState, String> handler) {
        onBroken = handler;
        if (brokenState != null) {
            handler.accept(brokenState, brokenReason);
        }
    }

    synchronized boolean send(T packet) {
        return send(packet, null);
    }

    /** @see PeerLink#sendData(uk.e42.tandem.peer.v1.DataPacket, Consumer) */
    synchronized boolean send(T packet, Consumer<Boolean> serialized) {
        if (closed) {
            tell(serialized, false);
            return true;
        }
        if (!queue.offer(new Outgoing<>(packet, serialized), packet.getSerializedSize(), System.nanoTime())) {
            return false;
        }
        drain();
        return true;
    }

    synchronized void whenWritable(Runnable task) {
        queue.whenWritable(task);
    }

    synchronized long queuedBytes() {
        return queue.bytes();
    }

    synchronized long stalledSince() {
        return queue.stalledSince();
    }

    /**
     * Hands the queued packets to gRPC (at most the window, so gRPC's buffer stays bounded too),
     * then ends the stream with {@code reason}: the peer reads what we said before the end, e.g.
     * our AuthResponse before "Authentication of peer failed" closes the link. The handing-on stops at
     * the first packet with borrowed bytes: here gRPC is not asked whether the call can take a message
     * now, and one that cannot yet would keep it and read its bytes after their owner had them back.
     * That packet and those behind it are dropped, so the peer still receives a prefix.
     */
    synchronized void close(String reason) {
        if (closed) {
            return;
        }
        if (out != null) {
            long now = System.nanoTime();
            try {
                while (!queue.isEmpty() && queue.peek().serialized() == null) {
                    handOn(queue.poll(now));
                }
            } catch (RuntimeException e) {
                // A call the peer cancelled takes nothing more: what still waits is dropped, and told so, below.
                LOG.debugf("%s stream to %s: %s before closing", stream, peer, e.toString());
            }
        }
        closeQueues(() -> {
            if (clientSide) {
                out.onCompleted();
            } else {
                out.onError(Status.UNAVAILABLE.withDescription(reason).asRuntimeException());
            }
        });
    }

    /** Server side: turns the dialer away; it sees FAILED_PRECONDITION and {@code reason}. */
    synchronized void refuse(String reason) {
        if (closed) {
            return;
        }
        closeQueues(() -> out.onError(Status.FAILED_PRECONDITION.withDescription(reason).asRuntimeException()));
    }

    /**
     * Under this end's lock: nothing more is sent or delivered, what waits either way is dropped, and
     * {@code endCall} ends the gRPC call.
     */
    private void closeQueues(Runnable endCall) {
        closed = true;
        queue.clear().forEach(dropped -> tell(dropped.serialized(), false));
        early.forEach(Inbound::release);
        early.clear();
        try {
            endCall.run();
        } catch (IllegalStateException alreadyClosed) {
            // gRPC ended the call first (the peer hung up): nothing is left to close.
        }
    }

    private synchronized void drain() {
        if (closed || out == null) {
            return;
        }
        long now = System.nanoTime();
        try {
            while (!queue.isEmpty() && out.isReady()) {
                handOn(queue.poll(now));
            }
        } catch (RuntimeException e) {
            // gRPC throws from onNext once the peer cancelled the call: the link is broken (reported here, as
            // gRPC's own report may come after this end closed and would then be dropped), and what waits is
            // dropped and told so. Not the sender's failure: its packet is queued, or was told it was dropped.
            String reason = "the " + stream + " stream to " + peer + " failed: " + e.getMessage();
            post(() -> broken(ConnState.CONN_NETWORK_FAILURE, reason));
            return;
        }
        queue.runWritableTasks();
    }

    private void handOn(Outgoing<T> outgoing) {
        boolean serialized = false;
        try {
            out.onNext(outgoing.packet());
            serialized = true;
        } finally {
            tell(outgoing.serialized(), serialized);
        }
    }

    private static void tell(Consumer<Boolean> serialized, boolean value) {
        if (serialized != null) {
            serialized.accept(value);
        }
    }

    private void arrived(Inbound<T> packet) {
        if (closed) {
            packet.release();
            return;
        }
        if (receiver == null) {
            early.add(packet);
        } else {
            deliver(packet);
        }
    }

    private void deliver(Inbound<T> packet) {
        if (packet.aliased() == null) {
            receiver.accept(packet.packet(), InboundBuffer.NONE);
            requestNext();
        } else {
            receiver.accept(packet.packet(), new Held(packet));
        }
    }

    /** A delivered packet's buffers: released once, then the packet's window slot goes to the next one. */
    private final class Held implements InboundBuffer {
        private final Inbound<T> packet;
        private final AtomicBoolean released = new AtomicBoolean();

        Held(Inbound<T> packet) {
            this.packet = packet;
        }

        @Override
        public void release() {
            if (!released.compareAndSet(false, true)) {
                throw new IllegalStateException("a received " + stream + " packet's buffer was released twice");
            }
            packet.release();
            requestNext();
        }
    }

    private synchronized void requestNext() {
        if (!closed) {
            out.request(1);
        }
    }

    private void failed(Throwable t) {
        Status status = Status.fromThrowable(t);
        if (hasCause(t, InvalidProtocolBufferException.class)) {
            broken(ConnState.CONN_PROTOCOL_ERROR, "received garbage on the " + stream + " stream from " + peer + ": "
                    + status.getDescription());
        } else if (status.getCode() == Status.Code.FAILED_PRECONDITION) {
            broken(ConnState.CONN_DISCONNECTING, "the peer refused the connection: " + status.getDescription());
        } else if (status.getCode() == Status.Code.UNAVAILABLE && status.getDescription() != null
                && status.getCause() == null) {
            broken(ConnState.CONN_BROKEN_PIPE, "the peer closed the connection: " + status.getDescription());
        } else {
            broken(ConnState.CONN_NETWORK_FAILURE, "the " + stream + " stream to " + peer + " failed: "
                    + status.getCode() + (status.getDescription() == null ? "" : " " + status.getDescription())
                    + (status.getCause() == null ? "" : " (" + status.getCause() + ")"));
        }
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private void broken(ConnState state, String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closeQueues(() -> {
                if (out instanceof ClientCallStreamObserver<T> client) {
                    client.cancel(reason, null);
                } else {
                    out.onError(Status.UNAVAILABLE.withDescription(reason).asRuntimeException());
                }
            });
        }
        brokenState = state;
        brokenReason = reason;
        if (onBroken != null) {
            onBroken.accept(state, reason);
        }
    }
}
