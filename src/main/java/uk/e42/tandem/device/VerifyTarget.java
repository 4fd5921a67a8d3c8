package uk.e42.tandem.device;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.Semaphore;
import org.jboss.logging.Logger;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.meta.Bitmap;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.VerifyReply;
import uk.e42.tandem.peer.v1.VerifyRequest;
import uk.e42.tandem.peer.v1.VerifyResult;
import uk.e42.tandem.sync.OnlineVerify;

/**
 * The VerifyT side of online verify: answers each request with the verify-alg digest of every 4 KiB
 * block, and marks the blocks the VerifyS found different out of sync in its own bitmap. It is done
 * when every block of the range has a result. Runs on the resource executor; reads on virtual threads.
 */
final class VerifyTarget {
    private static final Logger LOG = Logger.getLogger(VerifyTarget.class);

    private final MetaData meta;
    private final BlockStore disk;
    private final PacketSender sender;
    private final Digests.Digest digest;
    private final OnlineVerify.Range range;
    private final SyncMarks marks;
    private final String logPrefix;
    private final VerifySource.Finished finished;
    private final OnlineVerify.OutOfSyncRuns runs = new OnlineVerify.OutOfSyncRuns();
    private final long startNanos = System.nanoTime();
    /** Bounds the reads a peer can start at once, as for its data requests (PeerReadServer). */
    private final Semaphore requests = new Semaphore(PeerReadServer.MAX_REQUESTS_IN_FLIGHT);
    /** The blocks of the range that have a result, relative to its first block: each may have one. */
    private final Bitmap resulted;
    private long left;
    private boolean done;

    VerifyTarget(MetaData meta, BlockStore disk, PacketSender sender, Digests.Digest digest,
            OnlineVerify.Range range, SyncMarks marks, String logPrefix, VerifySource.Finished finished) {
        this.meta = meta;
        this.disk = disk;
        this.sender = sender;
        this.digest = digest;
        this.range = range;
        this.marks = marks;
        this.logPrefix = logPrefix;
        this.finished = finished;
        this.left = range.bits();
        this.resulted = new Bitmap(range.bits());
    }

    void onRequest(VerifyRequest request, ResyncTarget.ProtocolViolation violation) {
        long offset = request.getSector() << 9;
        int size = request.getSize();
        long first = offset >>> Bitmap.BLOCK_SHIFT;
        long end = first + blocks(size);
        if ((offset & 4095) != 0 || size <= 0 || size > ResyncTarget.MAX_REQUEST_BITS * 4096
                || first < range.firstBit() || end > range.endBit()
                || offset + size > meta.usableSectors() * 512) {
            violation.report("peer asked to verify " + size + " bytes at sector " + request.getSector()
                    + ", outside the verify range or not 4 KiB aligned");
            return;
        }
        if (!requests.tryAcquire()) {
            violation.report("peer has more than " + PeerReadServer.MAX_REQUESTS_IN_FLIGHT
                    + " verify requests in flight");
            return;
        }
        Thread.ofVirtual().start(() -> {
            try {
                answer(request, offset, size);
            } finally {
                requests.release();
            }
        });
    }

    private void answer(VerifyRequest request, long offset, int size) {
        byte[] digests;
        try {
            digests = blockDigests(disk, digest, offset, size);
        } catch (IOException e) {
            LOG.errorf("%s: online verify cannot read %d bytes at sector %d: %s", logPrefix, size,
                    request.getSector(), e.getMessage());
            // No digests: the VerifyS counts these blocks as out of sync, so a resync rewrites them.
            digests = new byte[0];
        }
        sender.send(DataPacket.newBuilder().setVerifyReply(VerifyReply.newBuilder().setSector(request.getSector())
                .setSize(size).setBlockId(request.getBlockId()).setDigest(ByteString.copyFrom(digests))).build(),
                null);
    }

    void onResult(VerifyResult result, ResyncTarget.ProtocolViolation violation) {
        long offset = result.getSector() << 9;
        int size = result.getSize();
        int blocks = blocks(size);
        if (done || size <= 0 || blocks > left || (offset >>> Bitmap.BLOCK_SHIFT) < range.firstBit()
                || (offset >>> Bitmap.BLOCK_SHIFT) + blocks > range.endBit()) {
            violation.report("peer sent a verify result for " + size + " bytes at sector " + result.getSector()
                    + " that this verify run did not expect");
            return;
        }
        long first = (offset >>> Bitmap.BLOCK_SHIFT) - range.firstBit();
        long already = resulted.nextSetBit(first);
        if (already >= 0 && already < first + blocks) {
            // A repeated result must not count again: the run would end before every block was compared.
            violation.report("peer sent a second verify result for sector "
                    + ((range.firstBit() + already) * OnlineVerify.SECTORS_PER_BLOCK));
            return;
        }
        BitSet differ = BitSet.valueOf(result.getOutOfSync().toByteArray());
        if (differ.length() > blocks) {
            violation.report("peer's verify result marks block " + (differ.length() - 1) + " of a " + blocks
                    + "-block request");
            return;
        }
        record(meta, runs, offset, size, differ, logPrefix);
        resulted.set(first, first + blocks);
        left -= blocks;
        marks.record(left);
        if (left == 0) {
            done = true;
            runs.close().ifPresent(line -> LOG.errorf("%s: %s", logPrefix, line));
            finished.done(range.bits(), (System.nanoTime() - startNanos) / 1_000_000);
        }
    }

    /** Marks the differing blocks out of sync and logs them as DRBD does (merged runs). */
    static void record(MetaData meta, OnlineVerify.OutOfSyncRuns runs, long offset, int size, BitSet differ,
            String logPrefix) {
        int blocks = blocks(size);
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + ((long) block << Bitmap.BLOCK_SHIFT);
            if (differ.get(block)) {
                int length = (int) Math.min(4096, offset + size - blockOffset);
                // Only the bitmap: the next resync moves these blocks, verify never does.
                meta.markOutOfSync(blockOffset, length);
                runs.outOfSync(blockOffset >>> 9, length >>> 9).ifPresent(line -> LOG.errorf("%s: %s", logPrefix,
                        line));
            } else {
                runs.close().ifPresent(line -> LOG.errorf("%s: %s", logPrefix, line));
            }
        }
    }

    static int blocks(int size) {
        return (size + 4095) >>> Bitmap.BLOCK_SHIFT;
    }

    /** The digest of each 4 KiB block of {@code [offset, offset+size)}, concatenated. */
    static byte[] blockDigests(BlockStore disk, Digests.Digest digest, long offset, int size) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(size);
        disk.read(offset, data);
        data.flip();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int at = 0; at < size; at += 4096) {
            out.writeBytes(digest.of(data.slice(at, Math.min(4096, size - at))));
        }
        return out.toByteArray();
    }
}
