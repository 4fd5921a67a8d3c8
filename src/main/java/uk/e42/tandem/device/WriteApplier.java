package uk.e42.tandem.device;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.peer.InboundBuffer;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.AckWanted;
import uk.e42.tandem.peer.v1.Barrier;
import uk.e42.tandem.peer.v1.BarrierAck;
import uk.e42.tandem.peer.v1.BlockAck;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.Trim;
import uk.e42.tandem.peer.v1.Write;
import uk.e42.tandem.peer.v1.WriteZeroes;

/**
 * The receiving side of replication: the peer's writes, trims and resync data go to the local disk
 * one after another, in the order they arrived (so overlapping writes keep their order), on a
 * worker thread of their own; acks go back on the control stream as the protocol asks, a write's
 * ack straight from the worker once the disk took it (no hop through the executor: the protocol C
 * write path is thread wake-ups). A barrier is acknowledged once every write before it is flushed
 * to stable storage. A write the disk fails goes to on-io-error (as on the Primary) and is answered
 * with NEG_ACK; without a disk every write is. A barrier whose flush fails goes to on-io-error too
 * and ends the connection, unacknowledged.
 */
final class WriteApplier implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WriteApplier.class);

    private final BlockStore disk;
    private final ScheduledExecutorService executor;
    private final ControlSink control;
    private final ControlSink acksFromWorker;
    private final ProtocolErrors errors;
    private final LocalDisk localDisk;
    private final LongConsumer written;
    private final String logPrefix;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("tandem-apply").daemon().factory());
    /** Writes received since the last barrier (confined to the executor). */
    private int epochWrites;
    /** Touched by the worker thread only. */
    private boolean negAckedSinceBarrier;
    /** A barrier's flush failed on this connection: no later barrier is acknowledged (worker only). */
    private boolean flushFailed;
    private final AtomicInteger unacked = new AtomicInteger();
    /** A received payload's pieces, gathered for one disk write (worker only); sized for the largest write. */
    private ByteBuffer gathered;
    private static final int GATHER_BYTES = 1 << 20;
    private static final int GATHER_ALIGNMENT = 4096;

    interface ControlSink {
        void send(ControlPacket packet);
    }

    /**
     * A peer request that cannot be honoured (out of range, or a barrier whose flush failed): the
     * connection is dropped, nothing more is written. Called on the executor.
     */
    interface ProtocolErrors {
        void violation(String what);
    }

    /** This node's disk as the peer's writes see it; called from the applier's worker thread. */
    interface LocalDisk {
        /** Whether there is a disk to write to (Inconsistent or better); a Diskless node writes nothing. */
        boolean localDiskWritable();

        /** The disk failed a write ({@code length} 0: a flush): on-io-error decides what happens to it. */
        void localWriteFailed(long offset, long length, IOException error);
    }

    /**
     * @param control        sends on the executor
     * @param acksFromWorker sends from the worker thread (the link's control stream takes any thread)
     * @param written        told the bytes of each replicated write (or trim, write-zeroes) that reached the disk
     */
    WriteApplier(BlockStore disk, ScheduledExecutorService executor, ControlSink control,
            ControlSink acksFromWorker, ProtocolErrors errors, LocalDisk localDisk, LongConsumer written,
            String logPrefix) {
        this.disk = disk;
        this.executor = executor;
        this.control = control;
        this.acksFromWorker = acksFromWorker;
        this.errors = errors;
        this.localDisk = localDisk;
        this.written = written;
        this.logPrefix = logPrefix;
    }

    /**
     * On the executor. {@code buffer} (what the write's data aliases) is released once the write is
     * done with: after the disk write, or at once when it is refused.
     */
    void onWrite(Write write, InboundBuffer buffer) {
        long offset = write.getSector() << 9;
        int length = write.getData().size();
        if (!inRange("write", offset, length)) {
            buffer.release();
            return;
        }
        apply(write.getAck(), write.getSector(), length, write.getBlockId(), write.getSeq(), () -> {
            writePayload(offset, write.getData(), false);
            if (write.getFua() || write.getFlush()) {
                disk.flush();
            }
        }, buffer);
    }

    /**
     * Writes a received payload with one disk write, on the worker thread. A payload that aliases gRPC's
     * buffers comes in pieces (one per HTTP/2 frame) whose edges fall anywhere, mid-sector too; writing
     * them one by one could leave a sector half old, half new if the process died between two of them
     * (a disk never tears a sector), and costs a system call each. So several pieces are first gathered
     * into one direct buffer kept for this connection's writes, a copy within memory instead of the two
     * (out of gRPC's buffer into a byte[], then into the JDK's temporary direct buffer) there were.
     *
     * <p>Resync data goes past the page cache ({@link BlockStore#uncached()}): a SyncTarget fills its whole disk
     * once and does not read it back soon, and filling new page-cache pages cost 2.4 s of CPU per GiB against
     * 0.4 s past the cache (bench/README.md, "Session 8"). It is always gathered, so that O_DIRECT gets the aligned memory it needs without a bounce
     * buffer of its own per write. The flush before the bitmap is written covers it as it covers the rest.
     */
    private void writePayload(long offset, ByteString data, boolean resyncData) throws IOException {
        List<ByteBuffer> pieces = data.asReadOnlyByteBufferList();
        BlockStore target = resyncData ? disk.uncached() : disk;
        if (pieces.size() == 1 && !resyncData) {
            target.write(offset, pieces.get(0));
            return;
        }
        if (gathered == null || gathered.capacity() < data.size()) {
            // Aligned as O_DIRECT wants it, so a disk opened that way takes it without a bounce buffer.
            gathered = ByteBuffer.allocateDirect(Math.max(data.size(), GATHER_BYTES) + GATHER_ALIGNMENT)
                    .alignedSlice(GATHER_ALIGNMENT);
        }
        gathered.clear();
        pieces.forEach(gathered::put);
        target.write(offset, gathered.flip());
    }

    void onTrim(Trim trim) {
        long offset = trim.getSector() << 9;
        if (inRange("trim", offset, trim.getSize())) {
            apply(trim.getAck(), trim.getSector(), trim.getSize(), trim.getBlockId(), trim.getSeq(),
                    () -> disk.discard(offset, trim.getSize()), InboundBuffer.NONE);
        }
    }

    void onWriteZeroes(WriteZeroes zeroes) {
        long offset = zeroes.getSector() << 9;
        if (inRange("write-zeroes", offset, zeroes.getSize())) {
            apply(zeroes.getAck(), zeroes.getSector(), zeroes.getSize(), zeroes.getBlockId(), zeroes.getSeq(),
                    () -> disk.writeZeroes(offset, zeroes.getSize()), InboundBuffer.NONE);
        }
    }

    /**
     * On the executor: resync data, written in line with the writes. Without a disk to write to (detached, by
     * on-io-error perhaps, while replies were still queued) nothing is written and the block counts as failed; a
     * write the disk fails goes to on-io-error as a replicated write's does (DRBD applies it to resync writes too)
     * and counts as failed. {@code buffer} (what the data aliases) is released once written or skipped.
     */
    void applyResyncData(long offset, ByteString data, InboundBuffer buffer, Runnable thenOnExecutor,
            Runnable onFailure) {
        worker.execute(() -> {
            try {
                if (!localDisk.localDiskWritable()) {
                    executor.execute(onFailure);
                    return;
                }
                writePayload(offset, data, true);
                executor.execute(thenOnExecutor);
            } catch (IOException e) {
                LOG.errorf("%s: local disk write of resync data failed: %s", logPrefix, e.getMessage());
                localDisk.localWriteFailed(offset, data.size(), e);
                executor.execute(onFailure);
            } finally {
                buffer.release();
            }
        });
    }

    /** Ordered disk work (a read for the peer, say) in line with the writes. */
    void applyInOrder(DiskWork work, Runnable thenOnExecutor, Runnable onFailure) {
        worker.execute(() -> {
            try {
                work.run();
                executor.execute(thenOnExecutor);
            } catch (IOException e) {
                LOG.errorf("%s: local disk write failed: %s", logPrefix, e.getMessage());
                executor.execute(onFailure);
            }
        });
    }

    /** On the executor: flush what came before, then tell the peer how many writes that epoch held. */
    void onBarrier(Barrier barrier) {
        int writes = epochWrites;
        epochWrites = 0;
        worker.execute(() -> {
            if (flushFailed) {
                // An earlier epoch is not on stable storage: acknowledging this one would release it too.
                return;
            }
            try {
                if (localDisk.localDiskWritable()) {
                    disk.flush();
                }
                ControlPacket barrierAck = ControlPacket.newBuilder().setBarrierAck(
                        BarrierAck.newBuilder().setBarrierNr(barrier.getBarrierNr()).setSetSize(writes)).build();
                if (negAckedSinceBarrier) {
                    // Behind this epoch's NEG_ACKs, which leave through the executor.
                    negAckedSinceBarrier = false;
                    executor.execute(() -> control.send(barrierAck));
                } else {
                    acksFromWorker.send(barrierAck);
                }
            } catch (IOException e) {
                flushFailed = true;
                LOG.errorf("%s: flush for barrier %d failed: %s", logPrefix, barrier.getBarrierNr(), e.getMessage());
                // A failed flush is a disk error: on-io-error takes the disk. The barrier ack would promise this
                // epoch is on stable storage, so none goes out; the connection ends instead, and the Primary marks
                // the epoch's blocks (still in its transfer log) out of sync, so a resync brings them here.
                localDisk.localWriteFailed(0, 0, e);
                String what = "local disk flush for barrier " + barrier.getBarrierNr() + " failed ("
                        + e.getMessage() + "), so its " + writes + " writes cannot be acknowledged as stable";
                executor.execute(() -> errors.violation(what));
            }
        });
    }

    int unacked() {
        return unacked.get();
    }

    interface DiskWork {
        void run() throws IOException;
    }

    /** {@code buffer}: what {@code work} reads, released once it ran or was skipped. */
    private void apply(AckWanted ack, long sector, int size, long blockId, int seq, DiskWork work,
            InboundBuffer buffer) {
        epochWrites++;
        if (ack == AckWanted.ACK_RECEIVE) {
            control.send(ack(AckKind.RECV_ACK, sector, size, blockId, seq));
        }
        unacked.incrementAndGet();
        worker.execute(() -> {
            AckKind answer;
            if (!localDisk.localDiskWritable()) {
                // DRBD's receive_Data without a disk: P_NEG_ACK, and the Primary marks the block out of sync.
                buffer.release();
                answer = AckKind.NEG_ACK;
            } else {
                try {
                    work.run();
                    written.accept(size);
                    answer = AckKind.WRITE_ACK;
                } catch (IOException e) {
                    // on-io-error applies on a Secondary as on the Primary; the NEG_ACK makes the Primary mark it.
                    localDisk.localWriteFailed(sector << 9, size, e);
                    answer = AckKind.NEG_ACK;
                } finally {
                    buffer.release();
                }
            }
            unacked.decrementAndGet();
            if (answer == AckKind.NEG_ACK) {
                // Through the executor, in order with the resync acks sent there: a resync ack of an earlier
                // reply for this block must not reach the peer after the NEG_ACK and clear its mark.
                negAckedSinceBarrier = true;
                ControlPacket negAck = ack(answer, sector, size, blockId, seq);
                executor.execute(() -> control.send(negAck));
            } else if (ack == AckWanted.ACK_WRITE) {
                acksFromWorker.send(ack(answer, sector, size, blockId, seq));
            }
        });
    }

    private boolean inRange(String what, long offset, long length) {
        if (!localDisk.localDiskWritable()) {
            // Nothing is written without a disk (the write is NEG_ACKed), so there is no range to keep.
            return true;
        }
        if (offset < 0 || length < 0 || offset + length > disk.size()) {
            errors.violation("peer sent a " + what + " of " + length + " bytes at byte " + offset
                    + ", beyond the end of this device (" + disk.size() + " bytes)");
            return false;
        }
        return true;
    }

    static ControlPacket ack(AckKind kind, long sector, int size, long blockId, int seq) {
        return ControlPacket.newBuilder().setBlockAck(BlockAck.newBuilder().setKind(kind).setSector(sector)
                .setSize(size).setBlockId(blockId).setSeq(seq)).build();
    }

    @Override
    public void close() {
        worker.shutdown();
    }
}
