package uk.e42.tandem.device;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.DataReply;
import uk.e42.tandem.peer.v1.DataRequest;

/**
 * Serves the peer's application reads (P_DATA_REQUEST) from the local disk, in line with the peer's
 * writes received before them (so a read never overtakes a write the peer sent first). Only UpToDate
 * data is served; anything else is a NegDReply, as DRBD answers "Can not satisfy peer's read request,
 * no local data." A request outside this device, unaligned, above 1 MiB or beyond the in-flight limit
 * drops the connection; nothing is read.
 */
final class PeerReadServer {
    private static final Logger LOG = Logger.getLogger(PeerReadServer.class);
    /** DRBD bounds a peer's outstanding requests by max-buffers; more is abuse. */
    static final int MAX_REQUESTS_IN_FLIGHT = 1024;

    private final BlockStore disk;
    private final WriteApplier inOrder;
    private final PacketSender sender;
    private final WriteApplier.ControlSink control;
    private final Executor executor;
    private final BooleanSupplier upToDate;
    private final String logPrefix;
    private final Semaphore requests = new Semaphore(MAX_REQUESTS_IN_FLIGHT);

    PeerReadServer(BlockStore disk, WriteApplier inOrder, PacketSender sender, WriteApplier.ControlSink control,
            Executor executor, BooleanSupplier upToDate, String logPrefix) {
        this.disk = disk;
        this.inOrder = inOrder;
        this.sender = sender;
        this.control = control;
        this.executor = executor;
        this.upToDate = upToDate;
        this.logPrefix = logPrefix;
    }

    /** On the executor. */
    void onRequest(DataRequest request, ResyncTarget.ProtocolViolation violation) {
        long sector = request.getSector();
        int size = request.getSize();
        long blockId = request.getBlockId();
        // Without UpToDate data (a Diskless node has no disk to measure a range against) DRBD only says no.
        if (!upToDate.getAsBoolean()) {
            LOG.errorf("%s: Can not satisfy peer's read request, no local data.", logPrefix);
            control.send(WriteApplier.ack(AckKind.NEG_DREPLY, sector, size, blockId, 0));
            return;
        }
        if (size <= 0 || size > PeerReads.MAX_REQUEST_BYTES || (size & 511) != 0
                || sector > (disk.size() >>> 9) || (sector << 9) > disk.size() - size) {
            violation.report("peer asked to read " + size + " bytes at sector " + sector + ", outside this device ("
                    + disk.size() + " bytes), unaligned or above " + PeerReads.MAX_REQUEST_BYTES + " bytes");
            return;
        }
        if (!requests.tryAcquire()) {
            violation.report("peer has more than " + MAX_REQUESTS_IN_FLIGHT + " read requests in flight");
            return;
        }
        long offset = sector << 9;
        inOrder.applyInOrder(() -> {
            try {
                ByteBuffer data = ByteBuffer.allocate(size);
                disk.read(offset, data);
                data.flip();
                sender.send(DataPacket.newBuilder().setDataReply(DataReply.newBuilder().setSector(sector)
                        .setBlockId(blockId).setData(ByteString.copyFrom(data))).build(), null);
            } catch (IOException e) {
                LOG.errorf("%s: reading sector %d+%d for the peer failed: %s", logPrefix, sector, size, e.getMessage());
                executor.execute(() -> control.send(WriteApplier.ack(AckKind.NEG_DREPLY, sector, size, blockId, 0)));
            } finally {
                requests.release();
            }
        }, () -> { }, () -> { });
    }
}
