package uk.e42.tandem.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;
import uk.e42.tandem.disk.BlockStore;

/**
 * Dispatch for one connection's transmission phase: checks each request, keeps overlapping ones in
 * order ({@link OverlapGuard}), runs the I/O on {@code io} threads and answers through the sink,
 * possibly out of order, as NBD allows. All state lives on {@code home} (the connection's event loop);
 * {@code io} threads only touch the store and their own request's buffers.
 */
final class Transmission {
    private static final Logger LOG = Logger.getLogger(Transmission.class);
    /** Refusals logged at WARN per connection; later ones at DEBUG so a looping client cannot flood the log. */
    private static final int LOUD_REFUSALS = 5;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    /** Where replies go; {@code sent} runs once the bytes left (or failed to). */
    interface ReplySink {
        void send(ByteBuffer reply, Runnable sent);
    }

    /** Room kept in front of read data for the reply header, so header and data leave as one direct buffer. */
    static final int HEADROOM = 32;

    /** Hears when capacity frees up and when a disconnect has drained. Called on {@code home}. */
    interface Listener {
        void capacityFreed();

        void drained();
    }

    private final NbdSession session;
    private final String peer;
    private final Executor io;
    private final Executor home;
    private final BufferPool pool;
    private final ReplySink sink;
    private final Listener listener;
    private final OverlapGuard guard = new OverlapGuard();
    private long inFlightBytes;
    private int refusals;
    private boolean disconnecting;

    Transmission(NbdSession session, String peer, Executor io, Executor home, BufferPool pool, ReplySink sink,
            Listener listener) {
        this.session = session;
        this.peer = peer;
        this.io = io;
        this.home = home;
        this.pool = pool;
        this.sink = sink;
        this.listener = listener;
    }

    /** Requests admitted and not yet answered. */
    int inFlight() {
        return guard.size();
    }

    /** Payload and read-data bytes held by requests in flight. */
    long inFlightBytes() {
        return inFlightBytes;
    }

    /** Takes a decoded request (on {@code home}); NBD_CMD_DISC starts draining instead. */
    void submit(NbdRequest request) {
        if (request.type() == Nbd.CMD_DISC) {
            disconnect();
            return;
        }
        Optional<RequestCheck.Refusal> refusal = RequestCheck.check(request, session);
        if (refusal.isPresent()) {
            refuse(request, refusal.get());
            return;
        }
        inFlightBytes += footprint(request);
        session.export().bytesInFlight(footprint(request));
        OverlapGuard.Ticket ticket = guard.admit(request);
        if (OverlapGuard.started(ticket)) {
            start(ticket);
        }
    }

    /** No more requests will come; {@link Listener#drained()} follows once the last one is answered. */
    void disconnect() {
        disconnecting = true;
        if (guard.size() == 0) {
            listener.drained();
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

    private void start(OverlapGuard.Ticket ticket) {
        io.execute(() -> {
            Outcome outcome = perform(ticket.request);
            home.execute(() -> complete(ticket, outcome));
        });
    }

    private record Outcome(ByteBuffer data, NbdError error, String message) {
        static final Outcome OK = new Outcome(null, null, null);
    }

    /** Runs on an {@code io} thread. */
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

    private void complete(OverlapGuard.Ticket ticket, Outcome outcome) {
        NbdRequest r = ticket.request;
        for (OverlapGuard.Ticket next : guard.complete(ticket)) {
            start(next);
        }
        inFlightBytes -= footprint(r);
        session.export().bytesInFlight(-footprint(r));
        boolean structured = session.structuredReplies();
        if (outcome.error() != null) {
            sink.send(ReplyEncoder.error(structured, r.handle(), outcome.error(), outcome.message()), () -> {
            });
        } else if (r.type() == Nbd.CMD_READ) {
            ByteBuffer buffer = outcome.data();
            ByteBuffer header = ReplyEncoder.readHeader(structured, r.handle(), r.offset(), (int) r.length());
            int start = HEADROOM - header.remaining();
            buffer.put(start, header, 0, header.remaining());
            sink.send(buffer.slice(start, header.remaining() + (int) r.length()), () -> pool.release(buffer));
        } else {
            sink.send(ReplyEncoder.ok(r.handle()), () -> {
            });
        }
        if (disconnecting && guard.size() == 0) {
            listener.drained();
        } else {
            listener.capacityFreed();
        }
    }

    private static long footprint(NbdRequest r) {
        return r.type() == Nbd.CMD_READ || r.type() == Nbd.CMD_WRITE ? r.length() : 0;
    }
}
