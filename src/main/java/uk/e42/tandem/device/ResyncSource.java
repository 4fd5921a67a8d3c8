package uk.e42.tandem.device;

import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.meta.Bitmap;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.BlockAck;
import uk.e42.tandem.peer.v1.CsumRequest;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.ResyncReply;
import uk.e42.tandem.peer.v1.ResyncRequest;

/**
 * The SyncSource answers the target's requests: it reads the block under the region's stripe lock
 * (so a newer application write cannot be overtaken) and sends it, or, with csums-alg, says
 * "in sync" when the target's digest matches. Its own bits clear when the target acknowledges.
 *
 * <p>Requests are read several at a time (a disk serves a queue faster than one request after the
 * other), but only {@link #READ_AHEAD_BYTES} ahead of the link: the rest wait as requests, not as
 * data, however many the target's max-buffers lets it ask for. The arrays they are read into are
 * recycled once the link serialized their packet.
 */
final class ResyncSource {
    /** Bytes read and not yet handed to the data stream's window, at most. */
    static final int READ_AHEAD_BYTES = 8 << 20;
    /** How long c-min-rate holds a resync request back for the application (DRBD: HZ/10). */
    static final long GIVE_WAY_MILLIS = 100;
    private static final int PAGE_BYTES = 1 << Bitmap.BLOCK_SHIFT;

    private final MetaData meta;
    private final BlockStore disk;
    private final StripeLocks stripes;
    private final PacketSender sender;
    private final WriteApplier.ControlSink control;
    private final ScheduledExecutorService executor;
    private final Digests.Digest csums;
    private final int maxBuffers;
    private final BooleanSupplier givesWay;
    /** Confined to the executor: requests not read yet, pages asked for and not answered, bytes being read. */
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    private long pagesRequested;
    private long bytesReading;
    /** Set on the executor when the session ended, read by the reading threads too. */
    private volatile boolean ended;
    private final PeerStatistics statistics;
    /** Arrays of the largest request, as many as the read-ahead holds (the heap held that much before, as garbage). */
    private final ArrayRecycler reads = new ArrayRecycler(ResyncTarget.MAX_REQUEST_BITS * PAGE_BYTES,
            READ_AHEAD_BYTES / (ResyncTarget.MAX_REQUEST_BITS * PAGE_BYTES));
    volatile long equalBlocks;
    volatile long sentBlocks;

    private record Request(long offset, int size, long blockId, byte[] peerDigest) {
        long pages() {
            return (size + PAGE_BYTES - 1) / PAGE_BYTES;
        }
    }

    /**
     * @param csums      null without csums-alg
     * @param maxBuffers this node's max-buffers (4 KiB pages): a peer with the same setting keeps half
     *                   of it in flight, so more than all of it is abuse
     * @param givesWay   asked on the executor for each request: true when c-min-rate wants it answered
     *                   {@link #GIVE_WAY_MILLIS} later, for this node's application
     */
    ResyncSource(MetaData meta, BlockStore disk, StripeLocks stripes, PacketSender sender,
            WriteApplier.ControlSink control, ScheduledExecutorService executor, Digests.Digest csums, int maxBuffers,
            BooleanSupplier givesWay, PeerStatistics statistics) {
        this.meta = meta;
        this.disk = disk;
        this.stripes = stripes;
        this.sender = sender;
        this.control = control;
        this.executor = executor;
        this.csums = csums;
        this.maxBuffers = maxBuffers;
        this.givesWay = givesWay;
        this.statistics = statistics;
    }

    void onRequest(ResyncRequest request, ResyncTarget.ProtocolViolation violation) {
        serve(request.getSector() << 9, request.getSize(), request.getBlockId(), null, violation);
    }

    void onCsumRequest(CsumRequest request, ResyncTarget.ProtocolViolation violation) {
        if (csums == null) {
            violation.report("peer sent a checksum request, but csums-alg is not set here");
            return;
        }
        serve(request.getSector() << 9, request.getSize(), request.getBlockId(), request.getDigest().toByteArray(),
                violation);
    }

    /** On the executor. */
    private void serve(long offset, int size, long blockId, byte[] peerDigest,
            ResyncTarget.ProtocolViolation violation) {
        if (disk == null) {
            violation.report("peer asked this Diskless node for resync data");
            return;
        }
        if (offset < 0 || size <= 0 || size > ResyncTarget.MAX_REQUEST_BITS * PAGE_BYTES
                || offset + size > disk.size()) {
            violation.report("peer asked for " + size + " bytes of resync data at byte " + offset
                    + ", outside this device (" + disk.size() + " bytes) or above 1 MiB");
            return;
        }
        Request request = new Request(offset, size, blockId, peerDigest);
        if (pagesRequested + request.pages() > maxBuffers) {
            violation.report("peer has more than " + maxBuffers + " pages of resync requests in flight (max-buffers "
                    + maxBuffers + " here; give both nodes the same max-buffers)");
            return;
        }
        pagesRequested += request.pages();
        if (givesWay.getAsBoolean()) {
            // DRBD's receiver sleeps HZ/10 here; only this request waits, the replicated writes do not.
            executor.schedule(() -> {
                if (!ended) {
                    waiting.add(request);
                    startReads();
                }
            }, GIVE_WAY_MILLIS, TimeUnit.MILLISECONDS);
            return;
        }
        waiting.add(request);
        startReads();
    }

    /** On the executor: starts reading waiting requests while the read-ahead has room. */
    private void startReads() {
        while (!ended && !waiting.isEmpty() && (bytesReading == 0 || bytesReading + waiting.peek().size() <= READ_AHEAD_BYTES)) {
            Request request = waiting.poll();
            bytesReading += request.size();
            Thread.ofVirtual().start(() -> answer(request));
        }
    }

    /** On a virtual thread: read, compare or send, then let the next request in. */
    private void answer(Request request) {
        long offset = request.offset();
        int size = request.size();
        long blockId = request.blockId();
        try {
            if (ended) {
                return;
            }
            ArrayRecycler.Loan loan = reads.take();
            byte[] data = loan.array();
            boolean lent = false;
            try (StripeLocks.Held held = stripes.lock(offset, size)) {
                disk.read(offset, ByteBuffer.wrap(data, 0, size));
                if (request.peerDigest() != null
                        && Arrays.equals(request.peerDigest(), csums.of(ByteBuffer.wrap(data, 0, size)))) {
                    equalBlocks += request.pages();
                    executor.execute(() -> {
                        if (ended) {
                            // The in-sync answer never reaches the target: the block stays marked for the next resync.
                            return;
                        }
                        meta.markInSync(offset, size);
                        control.send(WriteApplier.ack(AckKind.RS_IS_IN_SYNC, offset >>> 9, size, blockId, 0));
                    });
                    return;
                }
                if (ended) {
                    return;
                }
                sentBlocks += request.pages();
                statistics.sent(size);
                // The packet borrows the array: it comes back once the link serialized the packet or dropped it.
                lent = sender.send(DataPacket.newBuilder().setResyncReply(ResyncReply.newBuilder()
                        .setSector(offset >>> 9).setBlockId(blockId).setSize(size)
                        .setData(UnsafeByteOperations.unsafeWrap(data, 0, size))).build(), null,
                        serialized -> loan.giveBack());
            } finally {
                if (!lent) {
                    // Also when the send failed after the link had already dropped the packet: the loan goes back once.
                    loan.giveBack();
                }
            }
        } catch (IOException e) {
            executor.execute(() -> {
                if (!ended) {
                    control.send(WriteApplier.ack(AckKind.NEG_RS_DREPLY, offset >>> 9, size, blockId, 0));
                }
            });
        } finally {
            executor.execute(() -> {
                bytesReading -= size;
                pagesRequested -= request.pages();
                startReads();
            });
        }
    }

    /**
     * On the executor, when the session ended: requests waiting or held back for c-min-rate are
     * dropped and none is read or answered any more.
     */
    void end() {
        ended = true;
        waiting.clear();
    }

    /** The target wrote a block we sent: it is in sync now. */
    void onAck(BlockAck ack) {
        if (ack.getKind() == AckKind.RS_WRITE_ACK) {
            meta.markInSync(ack.getSector() << 9, ack.getSize());
        }
    }
}
