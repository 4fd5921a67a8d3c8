package uk.e42.tandem.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * One client on its own thread, which blocks on the socket: option haggling, then transmission. In
 * transmission the connection's threads take turns reading requests, as nbdkit's do: a thread reads one
 * request, passes the turn to the next and does the request's I/O and reply itself. No request waits for
 * a hand-off to another thread, and a request that arrives while others run is read at once by the thread
 * whose turn it is. The connection has up to {@code workers} such threads besides its own, started when a
 * thread passes the turn and nobody waits for it, and gone after 30 s without a turn; threads of its own
 * mean a client that stops reading its replies only stalls itself. Backpressure: the thread whose turn it
 * is stops reading while the window of requests and bytes in flight is full, so the kernel's buffers
 * fill and the client's sends stall.
 */
final class NbdConnection implements Runnable {
    private static final Logger LOG = Logger.getLogger(NbdConnection.class);
    /** How long a connection's extra threads wait for a turn to read before they end. */
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
        Transmission transmission = new Transmission(session, peer, pool, replies::send);
        Turns turns = new Turns(transmission,
                new RequestReader(export.blockSizes().maximum(), pool::acquire, pool::release));
        export.clientAttached();
        try {
            turns.take(true);
        } finally {
            if (!turns.disconnected) {
                // Replies to a client that is gone or dropped fail at once instead of waiting for it to read.
                close();
            }
            // After a DISC the requests taken before it are answered; otherwise they finish without a reply.
            transmission.awaitDrained();
            export.clientDetached();
        }
        turns.rethrowEnd();
    }

    /**
     * The turns to read requests among the connection's threads. The reading lock is the turn: its holder
     * reads one request and admits it, and whoever waits longest for the lock reads the next.
     */
    private final class Turns {
        private final ReentrantLock reading = new ReentrantLock();
        private final Transmission transmission;
        private final RequestReader reader;
        /** Threads taking turns, the connection's own included. */
        private final AtomicInteger threads = new AtomicInteger(1);
        /** Set by the thread that read the last request (DISC, end of stream, a bad request); guarded by {@code reading}. */
        private boolean over;
        /** Whether reading ended with NBD_CMD_DISC; read by the connection's thread after its last turn. */
        private volatile boolean disconnected;
        /** What ended reading other than DISC; guarded by {@code reading}. */
        private Exception end;

        Turns(Transmission transmission, RequestReader reader) {
            this.transmission = transmission;
            this.reader = reader;
        }

        /**
         * A thread's loop: wait for the turn, read and admit one request, pass the turn on, run the request.
         * Returns once reading is over; an extra thread also once it waited {@link #WORKER_KEEP_ALIVE_SECONDS}
         * for a turn (another thread has it meanwhile, so one is always reading).
         */
        void take(boolean own) throws InterruptedException {
            while (true) {
                transmission.runReady();
                if (own) {
                    reading.lock();
                } else if (!reading.tryLock(WORKER_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS)) {
                    threads.decrementAndGet();
                    return;
                }
                OverlapGuard.Ticket ticket;
                try {
                    if (over) {
                        return;
                    }
                    transmission.awaitRoom();
                    NbdRequest request = reader.next(input);
                    if (request.type() == Nbd.CMD_DISC) {
                        // The client sends nothing after DISC; whatever it does send is not read.
                        LOG.debugf("NBD client %s disconnected (NBD_CMD_DISC)", peer);
                        disconnected = true;
                        over = true;
                        return;
                    }
                    ticket = transmission.admit(request);
                    if (!reading.hasQueuedThreads() && threads.get() <= workerCount) {
                        startThread();
                    }
                } catch (IOException | NbdProtocolException | RuntimeException e) {
                    end = e;
                    over = true;
                    // Replies to a client that is gone or dropped fail at once instead of waiting for it to read.
                    close();
                    return;
                } finally {
                    reading.unlock();
                }
                if (ticket != null) {
                    transmission.run(ticket);
                }
            }
        }

        /** Called with the turn held, so the count is only raised by one thread at a time. */
        private void startThread() {
            int number = threads.incrementAndGet() - 1;
            try {
                Thread.ofPlatform().daemon().name(threadName + "-io-" + number).start(() -> {
                    try {
                        take(false);
                    } catch (InterruptedException e) {
                        threads.decrementAndGet();
                    }
                });
            } catch (OutOfMemoryError e) {
                // No thread to be had: the connection goes on with the threads it has.
                threads.decrementAndGet();
                LOG.warnf("NBD client %s: no thread for requests side by side: %s", peer, e.toString());
            }
        }

        /** On the connection's thread after its last turn: what ended reading, for {@link #run} to log. */
        void rethrowEnd() throws IOException, NbdProtocolException {
            Exception e;
            reading.lock();
            try {
                e = end;
            } finally {
                reading.unlock();
            }
            switch (e) {
                case null -> {
                }
                case IOException io -> throw io;
                case NbdProtocolException protocol -> throw protocol;
                case RuntimeException runtime -> throw runtime;
                default -> throw new IllegalStateException(e);
            }
        }
    }

    /** Negotiation replies; a failed write closes the channel, so the next read ends the connection. */
    private void send(List<ByteBuffer> buffers) {
        for (ByteBuffer reply : buffers) {
            replies.send(reply, () -> {
            });
        }
    }
}
