package uk.e42.tandem.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;
import uk.e42.tandem.disk.BlockStore;

/**
 * Dispatch for one connection's transmission phase: checks each request, keeps overlapping ones in
 * order ({@link OverlapGuard}), does the I/O and answers through the sink, possibly out of order, as
 * NBD allows. A request that arrives while nothing else is in flight and nothing more is waiting runs
 * on the thread that read it, as nbdkit does it: that thread first hands the reading of the next request
 * to one of the connection's {@code workers}, then does the I/O and the reply, so the request waits for
 * no other thread and the next one is read at once (queue depth 1). Otherwise it goes to the workers and
 * the reading thread reads on, so requests run side by side and a slow one does not hold up the reading
 * of the next. State is guarded by one lock; the I/O and the replies run outside it.
 */
final class Transmission {
    private static final Logger LOG = Logger.getLogger(Transmission.class);
    /** Requests in flight per connection before its thread stops reading: a client cannot make us queue without bound. */
    static final int MAX_IN_FLIGHT = 128;
    /** Payload and read-data bytes in flight per connection before its thread stops reading. */
    static final long MAX_IN_FLIGHT_BYTES = 64L << 20;
    /** Refusals logged at WARN per connection; later ones at DEBUG so a looping client cannot flood the log. */
    private static final int LOUD_REFUSALS = 5;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    /**
     * Where replies go, from any thread; {@code sent} runs once the bytes left (or failed to). A send that
     * throws did not take the reply, and its {@code sent} never runs.
     */
    interface ReplySink {
        void send(ByteBuffer reply, Runnable sent);
    }

    /** Room kept in front of read data for the reply header, so header and data leave as one direct buffer. */
    static final int HEADROOM = 32;

    private final NbdSession session;
    private final String peer;
    private final Executor workers;
    private final BufferPool pool;
    private final ReplySink sink;
    private final Runnable endConnection;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a request finished: room in the window, or the last one of a drain. */
    private final Condition finished = lock.newCondition();
    private final OverlapGuard guard = new OverlapGuard();
    private long inFlightBytes;
    private int refusals;

    /** @param endConnection closes the connection's socket, for a request that cannot be answered at all */
    Transmission(NbdSession session, String peer, Executor workers, BufferPool pool, ReplySink sink,
            Runnable endConnection) {
        this.session = session;
        this.peer = peer;
        this.workers = workers;
        this.pool = pool;
        this.sink = sink;
        this.endConnection = endConnection;
    }

    /** Requests admitted and not yet answered. */
    int inFlight() {
        lock.lock();
        try {
            return guard.size();
        } finally {
            lock.unlock();
        }
    }

    /** Payload and read-data bytes held by requests in flight. */
    long inFlightBytes() {
        lock.lock();
        try {
            return inFlightBytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes a decoded request on the thread whose turn it is to read (never NBD_CMD_DISC, which ends reading
     * instead). Returns once it is refused or handed to a worker, and this thread reads on; or, when the
     * request runs here, once {@code handOnReading} gave the reading to another thread and the request is done
     * and its reply written or queued.
     *
     * @param moreWaiting whether further request bytes already arrived: then this one goes to a worker and
     *                    this thread reads them
     * @param handOnReading gives the reading of the next request to another thread
     * @return whether this thread still reads (false: the reading was handed on)
     */
    boolean submit(NbdRequest request, boolean moreWaiting, Runnable handOnReading) {
        Optional<RequestCheck.Refusal> refusal = RequestCheck.check(request, session);
        if (refusal.isPresent()) {
            refuse(request, refusal.get());
            return true;
        }
        OverlapGuard.Ticket ticket;
        boolean alone;
        boolean startsNow;
        lock.lock();
        try {
            inFlightBytes += footprint(request);
            ticket = guard.admit(request);
            alone = guard.size() == 1;
            // Read under the lock: once it is released, the request this one waits for may finish and start it.
            startsNow = OverlapGuard.started(ticket);
        } finally {
            lock.unlock();
        }
        session.export().bytesInFlight(footprint(request));
        if (!startsNow) {
            return true; // the request it overlaps starts it when done
        }
        if (alone && !moreWaiting) {
            try {
                handOnReading.run();
            } catch (RuntimeException | Error e) {
                // No thread took the reading: the request is still answered (or the connection could never
                // drain), then the reading ends on this thread.
                run(ticket);
                throw e;
            }
            try {
                run(ticket);
            } catch (RuntimeException | Error e) {
                // The reading is another thread's now: this ends nothing but this request's work.
                LOG.errorf(e, "NBD client %s: %s failed after its I/O", peer, request.describe());
            }
            return false;
        }
        start(ticket);
        return true;
    }

    /**
     * On a worker, or on this thread when no worker can be had (no thread left, say): an admitted request
     * is always answered, or the connection could never drain.
     */
    private void start(OverlapGuard.Ticket ticket) {
        try {
            workers.execute(() -> run(ticket));
        } catch (RejectedExecutionException | OutOfMemoryError e) {
            LOG.warnf("NBD client %s: no thread for %s (%s); running it on this one", peer, ticket.request.describe(),
                    e.toString());
            run(ticket);
        }
    }

    /** Blocks while the window is full; the thread whose turn it is to read calls it before reading the next request. */
    void awaitRoom() throws InterruptedException {
        lock.lock();
        try {
            while (guard.size() >= MAX_IN_FLIGHT || inFlightBytes >= MAX_IN_FLIGHT_BYTES) {
                finished.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Blocks until every admitted request has been answered (or its reply failed). */
    void awaitDrained() throws InterruptedException {
        lock.lock();
        try {
            while (guard.size() > 0) {
                finished.await();
            }
        } finally {
            lock.unlock();
        }
    }

    private void refuse(NbdRequest request, RequestCheck.Refusal refusal) {
        pool.release(request.payload());
        refusals++;
        if (refusals <= LOUD_REFUSALS) {
            LOG.warnf("NBD client %s: %s refused with %s: %s%s", peer, request.describe(), refusal.error(),
                    refusal.message(), refusals == LOUD_REFUSALS ? " (further refusals on this connection at DEBUG)" : "");
        } else {
            LOG.debugf("NBD client %s: %s refused with %s: %s", peer, request.describe(), refusal.error(),
                    refusal.message());
        }
        sink.send(ReplyEncoder.error(session.structuredReplies(), request.handle(), refusal.error(), refusal.message()),
                () -> {
                });
    }

    /** Does the I/O and answers; the request counts as in flight until its reply left. */
    private void run(OverlapGuard.Ticket ticket) {
        NbdRequest r = ticket.request;
        Outcome outcome;
        try {
            outcome = perform(r);
        } catch (Error e) {
            // Out of direct memory for the read buffer, say: the request is answered and leaves the window, or
            // the connection could never drain.
            LOG.errorf(e, "NBD client %s: %s on export %s failed with EIO", peer, r.describe(), session.export().name());
            outcome = new Outcome(null, NbdError.EIO, r.describe() + " failed: " + e);
        }
        try {
            reply(r, outcome, () -> finish(ticket));
        } catch (RuntimeException | Error e) {
            replyFailed(ticket, outcome, e);
        }
    }

    /**
     * The reply could not be built or handed to the sink (no memory for it, say), so its action will never
     * run: the request is answered with EIO instead, or, when even that fails, the connection ends (the client
     * sees it close and never waits for this handle). Either way the request leaves the window, or the
     * connection could never drain.
     */
    private void replyFailed(OverlapGuard.Ticket ticket, Outcome outcome, Throwable e) {
        NbdRequest r = ticket.request;
        pool.release(outcome.data());
        try {
            LOG.errorf(e, "NBD client %s: the reply to %s could not be sent; answering EIO", peer, r.describe());
            sink.send(ReplyEncoder.error(session.structuredReplies(), r.handle(), NbdError.EIO,
                    r.describe() + " failed: its reply could not be sent: " + e), () -> finish(ticket));
        } catch (RuntimeException | Error again) {
            try {
                LOG.errorf(again, "NBD client %s: no reply to %s either; ending the connection", peer, r.describe());
            } finally {
                try {
                    endConnection.run();
                } finally {
                    finish(ticket);
                }
            }
        }
    }

    /** After the reply: frees the request's room in the window and starts the requests that waited for it. */
    private void finish(OverlapGuard.Ticket ticket) {
        NbdRequest r = ticket.request;
        List<OverlapGuard.Ticket> next;
        lock.lock();
        try {
            next = guard.complete(ticket);
            inFlightBytes -= footprint(r);
            finished.signalAll();
        } finally {
            lock.unlock();
        }
        session.export().bytesInFlight(-footprint(r));
        for (OverlapGuard.Ticket waiting : next) {
            start(waiting);
        }
    }

    private record Outcome(ByteBuffer data, NbdError error, String message) {
        static final Outcome OK = new Outcome(null, null, null);
    }

    /** Runs on the thread that read the request or a worker; touches only the store and this request's buffers. */
    private Outcome perform(NbdRequest r) {
        BlockStore store = session.export().store();
        ByteBuffer readBuffer = null;
        try {
            switch (r.type()) {
                case Nbd.CMD_READ -> {
                    readBuffer = pool.acquire(HEADROOM + (int) r.length());
                    store.read(r.offset(), readBuffer.slice(HEADROOM, (int) r.length()));
                    return new Outcome(readBuffer, null, null);
                }
                case Nbd.CMD_WRITE -> {
                    try {
                        store.write(r.offset(), r.payload());
                    } finally {
                        pool.release(r.payload());
                    }
                }
                case Nbd.CMD_FLUSH -> store.flush();
                case Nbd.CMD_TRIM -> store.discard(r.offset(), r.length());
                case Nbd.CMD_WRITE_ZEROES -> {
                    if (r.has(Nbd.CMD_FLAG_NO_HOLE)) {
                        writeAllocatedZeroes(store, r.offset(), r.length());
                    } else {
                        store.writeZeroes(r.offset(), r.length());
                    }
                }
                default -> throw new IllegalStateException(r.describe() + " passed the check but has no handler");
            }
            // FUA: the reply promises this request's data is on stable storage.
            if (r.has(Nbd.CMD_FLAG_FUA) && r.writes()) {
                store.flush();
            }
            return Outcome.OK;
        } catch (IOException | RuntimeException e) {
            pool.release(readBuffer);
            NbdError error = errorFor(e);
            LOG.warnf(e, "NBD client %s: %s on export %s failed with %s", peer, r.describe(), session.export().name(),
                    error);
            return new Outcome(null, error, r.describe() + " failed: " + e.getMessage());
        }
    }

    /** NO_HOLE promises allocated blocks, which only real writes guarantee whatever the store's writeZeroes does. */
    private static void writeAllocatedZeroes(BlockStore store, long offset, long length) throws IOException {
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(ZEROES.capacity(), length - done);
            store.write(offset + done, ZEROES.duplicate().clear().limit(n));
            done += n;
        }
    }

    private static NbdError errorFor(Exception e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("No space left") || message.contains("Disk quota exceeded")
                || message.contains("File too large")) {
            return NbdError.ENOSPC;
        }
        return NbdError.EIO;
    }

    private void reply(NbdRequest r, Outcome outcome, Runnable sent) {
        boolean structured = session.structuredReplies();
        if (outcome.error() != null) {
            sink.send(ReplyEncoder.error(structured, r.handle(), outcome.error(), outcome.message()), sent);
        } else if (r.type() == Nbd.CMD_READ) {
            ByteBuffer buffer = outcome.data();
            ByteBuffer header = ReplyEncoder.readHeader(structured, r.handle(), r.offset(), (int) r.length());
            int start = HEADROOM - header.remaining();
            buffer.put(start, header, 0, header.remaining());
            sink.send(buffer.slice(start, header.remaining() + (int) r.length()), () -> {
                pool.release(buffer);
                sent.run();
            });
        } else {
            sink.send(ReplyEncoder.ok(r.handle()), sent);
        }
    }

    private static long footprint(NbdRequest r) {
        return r.type() == Nbd.CMD_READ || r.type() == Nbd.CMD_WRITE ? r.length() : 0;
    }
}
