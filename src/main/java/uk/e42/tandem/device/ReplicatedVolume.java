package uk.e42.tandem.device;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.state.IoErrorPolicy;
import uk.e42.tandem.state.ReadSource;

/**
 * The request path (DRBD's drbd_req.c): what NBD clients write reaches the local disk and, while a
 * peer with a disk is connected, the peer in the same order (a Diskless peer gets none, as in DRBD:
 * the write is marked out of sync instead); completion waits for what the replication
 * protocol promises. A write that cannot reach the peer is in the bitmap before it completes, and
 * every write's activity-log extent is recorded before the disk sees it, so a crash of this node
 * still tells the next resync which blocks to look at.
 *
 * <p>The local disk may go away while the volume is served (on-io-error detach, {@code tandem detach}
 * on a Primary): the volume then runs Diskless, writing only to the peer and reading from it. A
 * request that fails on the local disk is reported to the resource (which applies on-io-error) and
 * completes from the peer when the peer has the data: a read is retried there, a write succeeds
 * when the peer wrote it.
 */
public final class ReplicatedVolume implements BlockStore {
    /** The backing disk and its meta data while attached. */
    record Local(BlockStore disk, MetaData meta) {
    }

    /** Where a read of a range is served from, by the resource's state (see {@link ReadSource}). */
    interface ReadRouter {
        ReadSource.Decision route(long offset, long length);
    }

    /** Hears about every failed request of the local disk or its meta data (on-io-error). */
    interface LocalErrors {
        void failed(IoErrorPolicy.Source source, long offset, long length, IOException error);
    }

    /** Changed by {@link #resize} only. */
    private volatile long size;
    private final String name;
    private final StripeLocks stripes;
    private final Supplier<ReplicationSession> replication;
    /**
     * Held shared from a request's "the peer does not take this" to its bitmap mark; the resource
     * holds it exclusively while it changes the session or the peer's disk state. So every mark made
     * on the old answer is in the bitmap before a bitmap exchange that follows the change (DRBD does
     * both under its req_lock): a late mark would miss that resync and then be cleared with the bitmap.
     */
    private final Lock skipPeerDecision;
    private final ReadRouter router;
    private final LocalErrors errors;
    /**
     * Held shared by every request for its whole run; held exclusively to wait until no request uses
     * a disk that is going away, and while I/O is suspended for an attach.
     */
    private final ReentrantReadWriteLock inFlight = new ReentrantReadWriteLock();
    private volatile Local local;
    final LongAdder readBytes = new LongAdder();
    /** DRBD's dw: bytes written to this disk for clients, the peer's writes and resync data included. */
    final LongAdder writtenBytes = new LongAdder();
    /** The resync data among {@link #writtenBytes}. */
    final LongAdder resyncWrittenBytes = new LongAdder();
    final LongAdder upperPending = new LongAdder();

    ReplicatedVolume(String name, Local local, StripeLocks stripes, Supplier<ReplicationSession> replication,
            Lock skipPeerDecision, ReadRouter router, LocalErrors errors) {
        this.name = name;
        this.local = local;
        this.size = local.meta().usableSectors() << 9;
        this.stripes = stripes;
        this.replication = replication;
        this.skipPeerDecision = skipPeerDecision;
        this.router = router;
        this.errors = errors;
    }

    /** The exposed size: the same while Diskless, as DRBD keeps the device's size. */
    @Override
    public long size() {
        return size;
    }

    /**
     * The device has a new size ({@code resize}). NBD clients that connect from now on see it; those
     * connected keep the size they negotiated (NBD's fixed newstyle has no size-change notice) and
     * must reconnect to use the new area.
     */
    void resize(long bytes) {
        size = bytes;
    }

    boolean diskless() {
        return local == null;
    }

    /** The disk failed or is being detached: no new request touches it from now on. */
    void dropLocal() {
        local = null;
    }

    /** Blocks until every request that may still use the dropped disk has completed. */
    void awaitLocalIdle() {
        inFlight.writeLock().lock();
        inFlight.writeLock().unlock();
    }

    /** A disk attached again to this exposed volume (a Diskless Primary's attach). */
    void attachLocal(Local attached) {
        local = attached;
    }

    /** The peer's write or resync data reached the local disk (DRBD counts both in dw). */
    void peerDataWritten(long bytes, boolean resync) {
        writtenBytes.add(bytes);
        if (resync) {
            resyncWrittenBytes.add(bytes);
        }
    }

    /** Sectors read and written here for anything but the resync: c-min-rate's application activity. */
    long applicationSectors() {
        return (readBytes.sum() + writtenBytes.sum() - resyncWrittenBytes.sum()) >>> 9;
    }

    /** Holds new requests back and waits for those in flight (DRBD's suspend-io around an attach). */
    void suspendIo() {
        inFlight.writeLock().lock();
    }

    /** Lets requests run again; only the thread that suspended may resume. */
    void resumeIo() {
        inFlight.writeLock().unlock();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        checkRange(offset, length);
        inFlight.readLock().lock();
        try {
            Local l = local;
            ReadSource.Decision decision = router.route(offset, length);
            switch (decision.where()) {
                case REFUSED -> throw new IOException(decision.refusal());
                case LOCAL -> {
                    if (l != null) {
                        int start = dst.position();
                        try {
                            l.disk().read(offset, dst);
                            readBytes.add(length);
                            return;
                        } catch (IOException e) {
                            dst.position(start);
                            errors.failed(IoErrorPolicy.Source.READ, offset, length, e);
                            if (!decision.peerFallback()) {
                                throw e;
                            }
                        }
                    } else if (!decision.peerFallback()) {
                        throw new IOException(name + ": IO ERROR: neither local nor remote data, sector "
                                + (offset >>> 9) + "+" + length + " (the local disk was detached)");
                    }
                }
                case PEER -> {
                }
            }
            readFromPeer(offset, dst);
            readBytes.add(length);
        } finally {
            inFlight.readLock().unlock();
        }
    }

    /** P_DATA_REQUEST in runs of at most 1 MiB, all sent before the first answer is awaited. */
    private void readFromPeer(long offset, ByteBuffer dst) throws IOException {
        ReplicationSession session = replication.get();
        if (session == null) {
            throw new IOException(name + ": IO ERROR: neither local nor remote data, sector " + (offset >>> 9) + "+"
                    + dst.remaining() + " (no connection to the peer)");
        }
        List<CompletableFuture<ByteBuffer>> parts = new ArrayList<>();
        for (long at = offset; at < offset + dst.remaining(); at += PeerReads.MAX_REQUEST_BYTES) {
            int part = (int) Math.min(PeerReads.MAX_REQUEST_BYTES, offset + dst.remaining() - at);
            parts.add(session.peerReads.read(at, part));
        }
        for (CompletableFuture<ByteBuffer> part : parts) {
            dst.put(await(part));
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        replicate(offset, length, session -> session.replicator.write(offset, src.duplicate()),
                disk -> disk.write(offset, src));
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        replicate(offset, length, session -> session.replicator.trim(offset, length),
                disk -> disk.discard(offset, length));
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        replicate(offset, length, session -> session.replicator.writeZeroes(offset, length),
                disk -> disk.writeZeroes(offset, length));
    }

    /**
     * FLUSH: durable here, and on the peer too where protocol B or C promises it. It succeeds when the
     * writes before it are on stable storage somewhere that counts: the local disk, or the peer that
     * acknowledged the barrier. A peer lost meanwhile is no failure while the local flush worked (its
     * writes are marked out of sync); without a working local disk it is an I/O error, as DRBD's.
     */
    @Override
    public void flush() throws IOException {
        inFlight.readLock().lock();
        try {
            ReplicationSession session = replication.get();
            Local l = local;
            if (l == null && (session == null || !session.peerTakesWrites())) {
                throw new IOException(name + ": IO ERROR: neither local nor remote disk to flush");
            }
            var peerFlushed = session == null || !session.peerTakesWrites() ? null : session.replicator.barrier(true);
            IOException localError = null;
            if (l != null) {
                try {
                    l.disk().flush();
                } catch (IOException e) {
                    localError = e;
                    errors.failed(IoErrorPolicy.Source.WRITE, 0, 0, e);
                }
            }
            boolean onPeer = peerFlushed != null && await(peerFlushed);
            if (onPeer || (l != null && localError == null)) {
                return;
            }
            if (localError != null) {
                throw new IOException(name + ": IO ERROR: the local flush failed (" + localError.getMessage()
                        + ") and the peer did not confirm it", localError);
            }
            throw new IOException(name + ": IO ERROR: the connection to the peer, which holds this Diskless"
                    + " node's data, ended before the peer confirmed the flush");
        } finally {
            inFlight.readLock().unlock();
        }
    }

    private interface ToPeer {
        Replicator.Ticket send(ReplicationSession session);
    }

    private interface ToDisk {
        void run(BlockStore disk) throws IOException;
    }

    private void replicate(long offset, long length, ToPeer toPeer, ToDisk toDisk) throws IOException {
        checkRange(offset, length);
        upperPending.increment();
        inFlight.readLock().lock();
        Local l = local;
        boolean alBegun = false;
        Replicator.Ticket ticket = null;
        try {
            if (l != null) {
                try {
                    l.meta().alBeginIo(offset, length);
                    alBegun = true;
                } catch (IOException e) {
                    errors.failed(IoErrorPolicy.Source.META, offset, length, e);
                    l = null;
                }
            }
            IOException localError = null;
            try (StripeLocks.Held held = stripes.lock(offset, length)) {
                ReplicationSession session = peerOrMarked(l, offset, length);
                ticket = session == null ? null : toPeer.send(session);
                if (l != null) {
                    try {
                        toDisk.run(l.disk());
                    } catch (IOException e) {
                        // Not on this disk: whatever becomes of it, a resync must bring the block here.
                        l.meta().markOutOfSync(offset, length);
                        errors.failed(IoErrorPolicy.Source.WRITE, offset, length, e);
                        localError = e;
                    }
                }
            }
            boolean peerWrote = ticket != null && await(ticket.done());
            if (ticket != null && !peerWrote && l != null) {
                l.meta().markOutOfSync(offset, length);
            }
            if (!peerWrote && localError != null) {
                throw localError;
            }
            if (!peerWrote && l == null) {
                throw new IOException(name + ": IO ERROR: the peer did not confirm the write of sector "
                        + (offset >>> 9) + "+" + length + " and there is no local disk");
            }
            writtenBytes.add(length);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the activity log");
        } finally {
            // The packet wraps the caller's buffer: it is not the caller's again until the link is done with it.
            if (ticket != null) {
                ticket.awaitBufferFree();
            }
            if (alBegun) {
                l.meta().alCompleteIo(offset, length);
            }
            inFlight.readLock().unlock();
            upperPending.decrement();
        }
    }

    /**
     * The session whose peer takes this write; or null once the range is marked out of sync (bitmap
     * before ack: the next resync must move it), because there is no peer or it is Diskless.
     */
    private ReplicationSession peerOrMarked(Local l, long offset, long length) throws IOException {
        ReplicationSession session = replication.get();
        if (session != null && session.peerTakesWrites()) {
            return session;
        }
        skipPeerDecision.lock();
        try {
            session = replication.get();
            if (session != null && session.peerTakesWrites()) {
                return session;
            }
            if (l == null) {
                throw new IOException(name + ": IO ERROR: neither local nor remote disk, sector " + (offset >>> 9)
                        + "+" + length);
            }
            l.meta().markOutOfSync(offset, length);
            return null;
        } finally {
            skipPeerDecision.unlock();
        }
    }

    private static <T> T await(CompletableFuture<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the peer");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException(io.getMessage(), io);
            }
            throw new IOException(e.getCause());
        }
    }

    private void checkRange(long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > size()) {
            throw new IOException("range " + offset + "+" + length + " is outside the volume (" + size() + " bytes)");
        }
        if ((offset & 511) != 0 || (length & 511) != 0) {
            throw new IOException("range " + offset + "+" + length + " is not aligned to 512-byte sectors");
        }
    }

    @Override
    public String describe() {
        Local l = local;
        return "replicated volume on " + (l == null ? "no local disk (Diskless)" : l.disk().describe());
    }

    @Override
    public void close() {
        // The resource owns the disk and the meta data and closes them on detach.
    }
}
