package uk.e42.tandem.device;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import uk.e42.tandem.disk.BlockStore;
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
 */
final class ResyncSource {
    /** DRBD: max-buffers/2 resync requests at most; more from a peer is abuse. */
    static final int MAX_REQUESTS_IN_FLIGHT = 1024;

    private final MetaData meta;
    private final BlockStore disk;
    private final StripeLocks stripes;
    private final PacketSender sender;
    private final WriteApplier.ControlSink control;
    private final Executor executor;
    private final Digests.Digest csums;
    private final PeerStatistics statistics;
    private final Semaphore requests = new Semaphore(MAX_REQUESTS_IN_FLIGHT);
    volatile long equalBlocks;
    volatile long sentBlocks;

    /** @param csums null without csums-alg */
    ResyncSource(MetaData meta, BlockStore disk, StripeLocks stripes, PacketSender sender,
            WriteApplier.ControlSink control, Executor executor, Digests.Digest csums, PeerStatistics statistics) {
        this.meta = meta;
        this.disk = disk;
        this.stripes = stripes;
        this.sender = sender;
        this.control = control;
        this.executor = executor;
        this.csums = csums;
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

    private void serve(long offset, int size, long blockId, byte[] peerDigest,
            ResyncTarget.ProtocolViolation violation) {
        if (offset < 0 || size <= 0 || size > ResyncTarget.MAX_REQUEST_BITS * 4096 || offset + size > disk.size()) {
            violation.report("peer asked for " + size + " bytes of resync data at byte " + offset
                    + ", outside this device (" + disk.size() + " bytes) or above 1 MiB");
            return;
        }
        if (!requests.tryAcquire()) {
            violation.report("peer has more than " + MAX_REQUESTS_IN_FLIGHT + " resync requests in flight");
            return;
        }
        Thread.ofVirtual().start(() -> {
            try {
                ByteBuffer data = ByteBuffer.allocate(size);
                try (StripeLocks.Held held = stripes.lock(offset, size)) {
                    disk.read(offset, data);
                    data.flip();
                    if (peerDigest != null && Arrays.equals(peerDigest, csums.of(data))) {
                        equalBlocks += (size + 4095) / 4096;
                        executor.execute(() -> {
                            meta.markInSync(offset, size);
                            control.send(WriteApplier.ack(AckKind.RS_IS_IN_SYNC, offset >>> 9, size, blockId, 0));
                        });
                        return;
                    }
                    sentBlocks += (size + 4095) / 4096;
                    statistics.sent(size);
                    sender.send(DataPacket.newBuilder().setResyncReply(ResyncReply.newBuilder()
                            .setSector(offset >>> 9).setBlockId(blockId).setSize(size)
                            .setData(ByteString.copyFrom(data))).build(), null);
                }
            } catch (IOException e) {
                executor.execute(() -> control.send(WriteApplier.ack(AckKind.NEG_RS_DREPLY, offset >>> 9, size,
                        blockId, 0)));
            } finally {
                requests.release();
            }
        });
    }

    /** The target wrote a block we sent: it is in sync now. */
    void onAck(BlockAck ack) {
        if (ack.getKind() == AckKind.RS_WRITE_ACK) {
            meta.markInSync(ack.getSector() << 9, ack.getSize());
        }
    }
}
