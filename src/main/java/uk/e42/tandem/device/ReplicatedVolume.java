package uk.e42.tandem.device;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.meta.MetaData;

/**
 * The request path (DRBD's drbd_req.c): what NBD clients write reaches the local disk and, while a
 * peer is connected, the peer in the same order; completion waits for what the replication
 * protocol promises. A write that cannot reach the peer is in the bitmap before it completes, and
 * every write's activity-log extent is recorded before the disk sees it, so a crash of this node
 * still tells the next resync which blocks to look at.
 */
public final class ReplicatedVolume implements BlockStore {
    private final BlockStore disk;
    private final MetaData meta;
    private final StripeLocks stripes;
    private final Supplier<ReplicationSession> replication;
    private final ReadGate readGate;
    final LongAdder readKib = new LongAdder();
    final LongAdder writtenKib = new LongAdder();
    final LongAdder upperPending = new LongAdder();

    /** Why a read of a range may not be served from the local disk, or null when it may. */
    interface ReadGate {
        String refusal(long offset, long length);
    }

    ReplicatedVolume(BlockStore disk, MetaData meta, StripeLocks stripes, Supplier<ReplicationSession> replication,
            ReadGate readGate) {
        this.disk = disk;
        this.meta = meta;
        this.stripes = stripes;
        this.replication = replication;
        this.readGate = readGate;
    }

    @Override
    public long size() {
        return meta.usableSectors() << 9;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        String refusal = readGate.refusal(offset, dst.remaining());
        if (refusal != null) {
            throw new IOException(refusal);
        }
        readKib.add(dst.remaining() >>> 10);
        disk.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        replicate(offset, length, session -> session.replicator.write(offset, src.duplicate()),
                () -> disk.write(offset, src));
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        replicate(offset, length, session -> session.replicator.trim(offset, length),
                () -> disk.discard(offset, length));
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        replicate(offset, length, session -> session.replicator.writeZeroes(offset, length),
                () -> disk.writeZeroes(offset, length));
    }

    /** FLUSH: durable here, and on the peer too where protocol B or C promises it. */
    @Override
    public void flush() throws IOException {
        ReplicationSession session = replication.get();
        var peerFlushed = session == null ? null : session.replicator.barrier(true);
        disk.flush();
        if (peerFlushed != null) {
            await(peerFlushed);
        }
    }

    private interface ToPeer {
        Replicator.Ticket send(ReplicationSession session);
    }

    private interface Local {
        void run() throws IOException;
    }

    private void replicate(long offset, long length, ToPeer toPeer, Local local) throws IOException {
        checkRange(offset, length);
        upperPending.increment();
        try {
            meta.alBeginIo(offset, length);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            upperPending.decrement();
            throw new InterruptedIOException("interrupted while waiting for the activity log");
        }
        try {
            Replicator.Ticket ticket;
            try (StripeLocks.Held held = stripes.lock(offset, length)) {
                ReplicationSession session = replication.get();
                ticket = session == null ? null : toPeer.send(session);
                if (ticket == null) {
                    // bitmap before ack: the peer does not get this write, the next resync must move it
                    meta.markOutOfSync(offset, length);
                }
                local.run();
            }
            writtenKib.add(length >>> 10);
            if (ticket != null && !await(ticket.done())) {
                meta.markOutOfSync(offset, length);
            }
        } finally {
            meta.alCompleteIo(offset, length);
            upperPending.decrement();
        }
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the peer");
        } catch (ExecutionException e) {
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
        return "replicated volume on " + disk.describe();
    }

    @Override
    public void close() {
        // The resource owns the disk and the meta data and closes them on detach.
    }
}
