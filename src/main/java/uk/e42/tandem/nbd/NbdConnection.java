package uk.e42.tandem.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * One client on its own thread, which blocks on the socket: option haggling, then reading requests
 * and handing them to {@link Transmission}. A thread per connection is nbdkit's shape, and so is who
 * runs a lone request: at queue depth 1 the thread that read a request gives the reading of the next
 * one to one of the connection's workers and then writes and answers this one itself, where an event
 * loop and a worker pool cost four or more task switches per request. Requests that run side by side go
 * to up to {@code workers} threads of this connection, which write their own replies, while the reading
 * thread reads on; threads of its own mean a client that stops reading its replies only stalls itself.
 * Backpressure: the reading thread stops reading while the window of requests and bytes in flight is
 * full, so the kernel's buffers fill and the client's sends stall.
 */
final class NbdConnection implements Runnable {
    private static final Logger LOG = Logger.getLogger(NbdConnection.class);
    /** How long a connection's idle worker threads stay around. */
    private static final long WORKER_KEEP_ALIVE_SECONDS = 30;

    private final SocketChannel channel;
    private final NbdExports exports;
    private final BufferPool pool;
    private final int workerCount;
    private final String peer;
    private final String threadName;
    private final ChannelInput input;
    private final ReplyWriter replies;
    private final Runnable onEnd;

    /**
     * @param workers threads that may run this connection's requests side by side
     * @param onEnd   runs once the connection is over and its requests have finished
     */
    NbdConnection(SocketChannel channel, String threadName, NbdExports exports, BufferPool pool, int workers,
            Runnable onEnd) {
        this.channel = channel;
        this.threadName = threadName;
        this.exports = exports;
        this.pool = pool;
        this.workerCount = workers;
        this.onEnd = onEnd;
        this.peer = peerOf(channel);
        this.input = new ChannelInput(channel);
        this.replies = new ReplyWriter(channel, peer);
    }

    private static String peerOf(SocketChannel channel) {
        try {
            return String.valueOf(channel.getRemoteAddress());
        } catch (IOException e) {
            return "(unknown address)";
        }
    }

    /** Ends the connection from outside (server stop): the thread's blocking read fails and it winds down. */
    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debugf("NBD client %s: closing: %s", peer, e.toString());
        }
    }

    @Override
    public void run() {
        LOG.debugf("NBD client %s connected", peer);
        try {
            send(List.of(Negotiation.greeting()));
            NbdSession session = negotiate();
            if (session != null) {
                transmit(session);
            }
        } catch (EOFException | ClosedChannelException e) {
            LOG.debugf("NBD client %s: %s", peer, e.getMessage() == null ? "connection closed" : e.getMessage());
        } catch (IOException e) {
            LOG.infof("NBD client %s: connection error: %s", peer, e.toString());
        } catch (NbdProtocolException e) {
            LOG.warnf("NBD client %s %s; dropping it", peer, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // a fault of ours (no memory for a payload, say): in our log with the client's name, not the thread's
            LOG.errorf(e, "NBD client %s: dropping it after an internal error", peer);
        } finally {
            close();
            onEnd.run();
            LOG.debugf("NBD client %s closed", peer);
        }
    }

    /** Option haggling; the session to transmit on, or null when the client is done or dropped. */
    private NbdSession negotiate() throws IOException {
        Negotiation negotiation = new Negotiation(exports);
        while (true) {
            Negotiation.Step step = negotiation.accept(input.frame(negotiation.needed()));
            send(step.replies());
            switch (step) {
                case Negotiation.Haggle h -> {
                }
                case Negotiation.Transmit t -> {
                    return t.session();
                }
                case Negotiation.Close c -> {
                    if (c.clean()) {
                        LOG.debugf("NBD client %s %s", peer, c.reason());
                    } else {
                        LOG.warnf("NBD client %s %s; dropping it", peer, c.reason());
                    }
                    return null;
                }
            }
        }
    }

    private void transmit(NbdSession session) throws IOException, NbdProtocolException, InterruptedException {
        NbdExport export = session.export();
        LOG.infof("NBD client %s opened export %s (%d bytes%s%s)", peer, export.name(), export.size(),
                session.readOnly() ? ", read-only: " + session.readOnlyReason() : "",
                session.structuredReplies() ? ", structured replies" : "");
        // One thread more than run requests: once handed on, the reading sits on a worker, and with only
        // workerCount threads a request queued behind it would wait for the next request to arrive (for ever
        // with one worker).
        ThreadPoolExecutor workers = new ThreadPoolExecutor(workerCount + 1, workerCount + 1, WORKER_KEEP_ALIVE_SECONDS,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon()
                        .name(threadName + "-io-", 0).factory());
        workers.allowCoreThreadTimeOut(true);
        Transmission transmission = new Transmission(session, peer, workers, pool, replies::send, this::close);
        Reading reading = new Reading(transmission, workers,
                new RequestReader(export.blockSizes().maximum(), pool::acquire, pool::release));
        export.clientAttached();
        try {
            reading.take();
            reading.awaitEnd();
        } finally {
            if (!reading.disconnected()) {
                close();
            }
            // After a DISC the requests taken before it are answered; otherwise they finish without a reply.
            transmission.awaitDrained();
            workers.shutdown();
            export.clientDetached();
        }
        reading.rethrowEnd();
    }

    /**
     * The reading of requests, by one thread at a time: the connection's own first, then whichever worker
     * it was handed to ({@link Transmission#submit}). It ends with NBD_CMD_DISC, the end of the stream or a
     * bad request; the connection's thread waits for that, then winds the connection down.
     */
    private final class Reading {
        private final Transmission transmission;
        private final ThreadPoolExecutor workers;
        private final RequestReader reader;
        /** FIONREAD through the socket's stream: whether more requests already wait in the kernel. */
        private final InputStream pending;
        /** Counted down when the reading ended, {@link #ending} set before. */
        private final CountDownLatch over = new CountDownLatch(1);
        private volatile Ending ending;

        Reading(Transmission transmission, ThreadPoolExecutor workers, RequestReader reader) throws IOException {
            this.transmission = transmission;
            this.workers = workers;
            this.reader = reader;
            this.pending = channel.socket().getInputStream();
        }

        /** Reads requests until the reading is handed to another thread or ends. */
        void take() {
            try {
                boolean mine = true;
                while (mine) {
                    transmission.awaitRoom();
                    NbdRequest request = reader.next(input);
                    if (request.type() == Nbd.CMD_DISC) {
                        // The client sends nothing after DISC; whatever it does send is not read.
                        LOG.debugf("NBD client %s disconnected (NBD_CMD_DISC)", peer);
                        end(true, null);
                        return;
                    }
                    boolean moreWaiting = input.hasBuffered() || pending.available() > 0;
                    mine = transmission.submit(request, moreWaiting, () -> workers.execute(this::take));
                }
            } catch (IOException | NbdProtocolException | InterruptedException | RuntimeException e) {
                end(false, e);
            } catch (Error e) {
                // No thread for the reading, say: the connection ends instead of waiting for a reader for good.
                end(false, new IllegalStateException("reading requests failed: " + e, e));
            }
        }

        private void end(boolean disc, Exception e) {
            if (!disc) {
                // Replies to a client that is gone or dropped fail at once instead of waiting for it to read.
                close();
            }
            ending = new Ending(disc, e);
            over.countDown();
        }

        void awaitEnd() throws InterruptedException {
            over.await();
        }

        boolean disconnected() {
            Ending e = ending;
            return e != null && e.disconnected();
        }

        /** On the connection's thread once the reading ended: what ended it, for {@link #run} to log. */
        void rethrowEnd() throws IOException, NbdProtocolException, InterruptedException {
            switch (ending.cause()) {
                case null -> {
                }
                case IOException io -> throw io;
                case NbdProtocolException protocol -> throw protocol;
                case InterruptedException interrupted -> throw interrupted;
                case RuntimeException runtime -> throw runtime;
                case Exception other -> throw new IllegalStateException(other);
            }
        }
    }

    /** How the reading ended: with NBD_CMD_DISC (no cause), or by {@code cause}: the end of the stream, a bad request. */
    private record Ending(boolean disconnected, Exception cause) {
    }

    /** Negotiation replies; a failed write closes the channel, so the next read ends the connection. */
    private void send(List<ByteBuffer> buffers) {
        for (ByteBuffer reply : buffers) {
            replies.send(reply, () -> {
            });
        }
    }
}
