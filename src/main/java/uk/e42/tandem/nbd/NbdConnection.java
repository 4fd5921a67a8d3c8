package uk.e42.tandem.nbd;

import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;

/**
 * One client on the Vert.x socket: feeds received bytes through framing into option haggling, then
 * into request decoding and dispatch. Backpressure: reading pauses while too many requests or bytes
 * are in flight or the socket's write queue is full, so a client cannot make the server buffer
 * without bound. Everything here runs on the connection's event loop.
 */
final class NbdConnection {
    private static final Logger LOG = Logger.getLogger(NbdConnection.class);
    static final int MAX_IN_FLIGHT = 128;
    static final long MAX_IN_FLIGHT_BYTES = 64L << 20;

    private final NetSocket socket;
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
        this.context = context;
        this.io = io;
        this.pool = pool;
        this.peer = String.valueOf(socket.remoteAddress());
        this.negotiation = new Negotiation(exports);
    }

    void start() {
        socket.handler(this::received);
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

    private void process() {
        try {
            while (!paused && !closing) {
                if (transmission == null ? !haggle() : !dispatch()) {
                    return;
                }
            }
        } catch (NbdProtocolException e) {
            drop(e.getMessage());
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
            paused = true;
            socket.pause();
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
            paused = false;
            socket.resume();
            process();
        }
    }

    private void sendReply(ByteBuffer reply, Runnable sent) {
        socket.write(Buffer.buffer(Unpooled.wrappedBuffer(reply)), ar -> sent.run());
        if (socket.writeQueueFull() && !paused && !closing) {
            paused = true;
            socket.pause();
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
