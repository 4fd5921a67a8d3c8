package uk.e42.tandem.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import uk.e42.tandem.peer.v1.BlockAck;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.DataReply;
import uk.e42.tandem.peer.v1.DataRequest;

/**
 * The Primary's application reads that the peer serves (DRBD's P_DATA_REQUEST / P_DATA_REPLY): when
 * this node is Diskless, when a SyncTarget reads a block not synced yet, and when a local read failed.
 * Each request is at most {@link #MAX_REQUEST_BYTES}; a reply must match its request exactly.
 */
final class PeerReads {
    static final int MAX_REQUEST_BYTES = 1 << 20;

    private record Pending(long offset, int size, CompletableFuture<ByteBuffer> done) {
    }

    private final PacketSender sender;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextBlockId = new AtomicLong(1);
    private volatile boolean ended;

    PeerReads(PacketSender sender) {
        this.sender = sender;
    }

    /** Any thread: asks the peer for {@code size} bytes (at most 1 MiB) at {@code offset}. */
    CompletableFuture<ByteBuffer> read(long offset, int size) {
        if (size <= 0 || size > MAX_REQUEST_BYTES) {
            throw new IllegalArgumentException("a peer read is 1.." + MAX_REQUEST_BYTES + " bytes, not " + size);
        }
        long blockId = nextBlockId.getAndIncrement();
        CompletableFuture<ByteBuffer> done = new CompletableFuture<>();
        pending.put(blockId, new Pending(offset, size, done));
        boolean queued = sender.send(DataPacket.newBuilder().setDataRequest(DataRequest.newBuilder()
                .setSector(offset >>> 9).setSize(size).setBlockId(blockId)).build(), null);
        if (!queued || ended) {
            fail(blockId, "the connection to the peer ended before the read was sent");
        }
        return done;
    }

    /** On the executor: the peer's data for one of our requests. */
    void onReply(DataReply reply, ResyncTarget.ProtocolViolation violation) {
        Pending request = pending.remove(reply.getBlockId());
        if (request == null) {
            violation.report("peer sent read data (block id " + reply.getBlockId() + ") that was not asked for");
            return;
        }
        if (reply.getSector() != request.offset >>> 9 || reply.getData().size() != request.size) {
            request.done.completeExceptionally(new IOException("peer answered the read of sector "
                    + (request.offset >>> 9) + "+" + request.size + " with sector " + reply.getSector() + "+"
                    + reply.getData().size()));
            violation.report("peer answered a read of sector " + (request.offset >>> 9) + "+" + request.size
                    + " with sector " + reply.getSector() + "+" + reply.getData().size());
            return;
        }
        request.done.complete(reply.getData().asReadOnlyByteBuffer());
    }

    /** On the executor: NEG_DREPLY, the peer could not read the range. */
    void onNegativeReply(BlockAck ack) {
        Pending request = pending.get(ack.getBlockId());
        if (request != null) {
            fail(ack.getBlockId(), "the peer could not read sector " + (request.offset >>> 9) + "+" + request.size
                    + " (NegDReply)");
        }
    }

    int inFlight() {
        return pending.size();
    }

    /** The connection ended: every waiting read fails. */
    void end() {
        ended = true;
        pending.keySet().forEach(id -> fail(id, "the connection to the peer was lost during the read"));
    }

    private void fail(long blockId, String why) {
        Pending request = pending.remove(blockId);
        if (request != null) {
            request.done.completeExceptionally(new IOException(why));
        }
    }
}
