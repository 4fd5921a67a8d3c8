package uk.e42.tandem.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;

/**
 * One client on the Vert.x socket: feeds received bytes through framing into option haggling, then
 * into request decoding and dispatch. Backpressure: reading pauses while too many requests or bytes
 * are in flight or the socket's write queue is full, so a client cannot make the server buffer
 * without bound. Everything here runs on the connection's event loop.
 *
 * <p>Received bytes are Netty's own buffers where Vert.x lets us have them: its plain handler copies
 * every chunk to the heap first, a copy of each 1 MiB write that the payload copy makes anyway. Such
 * a buffer is held until the framing consumed all of its bytes (payloads and headers are copied or
 * decoded by then), and pausing turns off the channel's reads, which Vert.x's pause does not do for
 * this handler.
 */
final class NbdConnection {
    private static final Logger LOG = Logger.getLogger(NbdConnection.class);
    static final int MAX_IN_FLIGHT = 128;
    static final long MAX_IN_FLIGHT_BYTES = 64L << 20;

    private final NetSocket socket;
    /** The same socket when it hands over Netty's buffers; null when only the copying handler is there. */
    private final NetSocketInternal raw;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private long receivedBytes;
    private final Context context;
    private final Executor io;
    private final BufferPool pool;
    private final String peer;
    private final ByteQueue queue = new ByteQueue();
    private final Negotiation negotiation;
    private Transmission transmission;
    private RequestReader reader;
    private NbdExport attached;
    private boolean paused;
    private boolean closing;

    NbdConnection(NetSocket socket, Context context, NbdExports exports, Executor io, BufferPool pool) {
        this.socket = socket;
        this.raw = socket instanceof NetSocketInternal internal ? internal : null;
        this.context = context;
        this.io = io;
        this.pool = pool;
        this.peer = String.valueOf(socket.remoteAddress());
        this.negotiation = new Negotiation(exports);
    }

    /** A received buffer and the stream position just past its last byte. */
    private record Held(ByteBuf buffer, long end) {
    }

    void start() {
        if (raw != null) {
            raw.messageHandler(this::receivedRaw);
        } else {
            socket.handler(this::received);
        }
        socket.exceptionHandler(e -> LOG.infof("NBD client %s: connection error: %s", peer, e.toString()));
        socket.closeHandler(v -> closed());
        socket.drainHandler(v -> mayResume());
        LOG.debugf("NBD client %s connected", peer);
        socket.write(Buffer.buffer(Unpooled.wrappedBuffer(Negotiation.greeting())));
    }

    private void received(Buffer data) {
        if (closing) {
            return;
        }
        queue.add(data.getByteBuf().nioBuffer());
        process();
    }

    private void receivedRaw(Object message) {
        if (!(message instanceof ByteBuf buffer)) {
            ReferenceCountUtil.release(message);
            return;
        }
        if (closing || !buffer.isReadable()) {
            buffer.release();
            return;
        }
        receivedBytes += buffer.readableBytes();
        held.add(new Held(buffer, receivedBytes));
        queue.add(buffer.nioBuffer());
        process();
    }

    /** Gives back the received buffers whose bytes the framing has consumed (all of them once the queue is cleared). */
    private void releaseConsumed() {
        long consumed = receivedBytes - queue.available();
        while (!held.isEmpty() && held.peek().end() <= consumed) {
            held.poll().buffer().release();
        }
    }

    private void pauseReading() {
        paused = true;
        if (raw != null) {
            raw.channelHandlerContext().channel().config().setAutoRead(false);
        } else {
            socket.pause();
        }
    }

    private void resumeReading() {
        paused = false;
        if (raw != null) {
            raw.channelHandlerContext().channel().config().setAutoRead(true);
        } else {
            socket.resume();
        }
    }

    private void process() {
        try {
            while (!paused && !closing) {
                if (transmission == null ? !haggle() : !dispatch()) {
                    return;
                }
            }
        } catch (NbdProtocolException e) {
            drop(e.getMessage());
        } finally {
            releaseConsumed();
        }
    }

    /** One negotiation step; false when more bytes are needed or the connection ends. */
    private boolean haggle() {
        ByteBuffer frame = queue.take(negotiation.needed());
        if (frame == null) {
            return false;
        }
        Negotiation.Step step = negotiation.accept(frame);
        send(step.replies());
        switch (step) {
            case Negotiation.Haggle h -> {
                return true;
            }
            case Negotiation.Transmit t -> {
                enterTransmission(t.session());
                return true;
            }
            case Negotiation.Close c -> {
                if (c.clean()) {
                    LOG.debugf("NBD client %s %s", peer, c.reason());
                } else {
                    LOG.warnf("NBD client %s %s; dropping it", peer, c.reason());
                }
                closeAfterWrites();
                return false;
            }
        }
    }

    private void enterTransmission(NbdSession session) {
        attached = session.export();
        attached.clientAttached();
        reader = new RequestReader(session.export().blockSizes().maximum(), pool::acquire);
        transmission = new Transmission(session, peer, io, task -> context.runOnContext(v -> task.run()), pool, this::sendReply,
                new Transmission.Listener() {
                    @Override
                    public void capacityFreed() {
                        mayResume();
                    }

                    @Override
                    public void drained() {
                        LOG.debugf("NBD client %s disconnected (NBD_CMD_DISC)", peer);
                        closeAfterWrites();
                    }
                });
        LOG.infof("NBD client %s opened export %s (%d bytes%s%s)", peer, attached.name(), attached.size(),
                session.readOnly() ? ", read-only: " + session.readOnlyReason() : "",
                session.structuredReplies() ? ", structured replies" : "");
    }

    /** One request; false when more bytes are needed or reading must pause. */
    private boolean dispatch() throws NbdProtocolException {
        NbdRequest request = reader.next(queue);
        if (request == null) {
            return false;
        }
        if (request.type() == Nbd.CMD_DISC) {
            // The client sends nothing after DISC; whatever it does send is ignored.
            closing = true;
            queue.clear();
            transmission.disconnect();
            return false;
        }
        transmission.submit(request);
        if (overLimits()) {
            pauseReading();
            return false;
        }
        return true;
    }

    private boolean overLimits() {
        return transmission.inFlight() >= MAX_IN_FLIGHT || transmission.inFlightBytes() >= MAX_IN_FLIGHT_BYTES
                || socket.writeQueueFull();
    }

    private void mayResume() {
        if (paused && !closing && !overLimits()) {
            resumeReading();
            process();
        }
    }

    private void sendReply(ByteBuffer reply, Runnable sent) {
        socket.write(Buffer.buffer(Unpooled.wrappedBuffer(reply)), ar -> sent.run());
        if (socket.writeQueueFull() && !paused && !closing) {
            pauseReading();
        }
    }

    private void send(List<ByteBuffer> replies) {
        if (!replies.isEmpty()) {
            socket.write(Buffer.buffer(Unpooled.wrappedBuffer(replies.toArray(ByteBuffer[]::new))));
        }
    }

    private void drop(String reason) {
        LOG.warnf("NBD client %s %s; dropping it", peer, reason);
        closing = true;
        queue.clear();
        socket.close();
    }

    private void closeAfterWrites() {
        closing = true;
        queue.clear();
        socket.end();
    }

    private void closed() {
        closing = true;
        queue.clear();
        releaseConsumed();
        if (reader != null) {
            pool.release(reader.abandonedPayload());
        }
        if (attached != null) {
            attached.clientDetached();
            attached = null;
        }
        LOG.debugf("NBD client %s closed", peer);
    }
}
