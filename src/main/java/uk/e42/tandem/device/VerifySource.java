package uk.e42.tandem.device;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.meta.Bitmap;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.VerifyReply;
import uk.e42.tandem.peer.v1.VerifyRequest;
import uk.e42.tandem.peer.v1.VerifyResult;
import uk.e42.tandem.sync.OnlineVerify;
import uk.e42.tandem.sync.ResyncRateController;

/**
 * The VerifyS side of online verify. Like the SyncTarget of a resync it drives the run, paced by the
 * same rate controller: every 100 ms, and as results make room, it asks the VerifyT for the digests of
 * the next blocks, compares them with the digests of its own blocks, marks the blocks that differ out
 * of sync (verify moves no data) and tells the peer which they are, so both bitmaps agree. Runs on the
 * resource executor; disk reads run on virtual threads.
 */
final class VerifySource {
    private static final Logger LOG = Logger.getLogger(VerifySource.class);

    /** The results of one verify run, for drbd_resync_finished's lines. */
    interface Finished {
        void done(long verifiedBits, long activeMillis);
    }

    private final MetaData meta;
    private final BlockStore disk;
    private final PacketSender sender;
    private final WriteApplier.ControlSink control;
    private final ScheduledExecutorService executor;
    private final RequestPacer pacer;
    private final Digests.Digest digest;
    private final OnlineVerify.Range range;
    private final SyncMarks marks;
    private final String logPrefix;
    private final Finished finished;
    private final OnlineVerify.OutOfSyncRuns runs = new OnlineVerify.OutOfSyncRuns();
    private final Map<Long, long[]> inFlight = new HashMap<>();
    /** Requests whose digests are being compared: a second reply for one of them is refused. */
    private final Set<Long> comparing = new HashSet<>();
    private final long startNanos = System.nanoTime();
    private long nextBlockId = 1;
    private long cursor;
    private long left;
    private boolean done;
    private ScheduledFuture<?> ticker;

    VerifySource(MetaData meta, BlockStore disk, PacketSender sender, WriteApplier.ControlSink control,
            ScheduledExecutorService executor, ResyncRateController controller, LongSupplier applicationSectors,
            Digests.Digest digest,
            OnlineVerify.Range range, SyncMarks marks, String logPrefix, Finished finished) {
        this.meta = meta;
        this.disk = disk;
        this.sender = sender;
        this.control = control;
        this.executor = executor;
        this.pacer = new RequestPacer(controller, applicationSectors, marks::recentKibPerSec, marks::want);
        this.digest = digest;
        this.range = range;
        this.marks = marks;
        this.logPrefix = logPrefix;
        this.finished = finished;
        this.cursor = range.firstBit();
        this.left = range.bits();
    }

    void start() {
        ticker = executor.scheduleAtFixedRate(this::tick, 0, ResyncRateController.STEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        if (done) {
            return;
        }
        pacer.step(System.nanoTime(), this::issue);
        maybeFinished();
    }

    /** A result made room: ask for more at once instead of at the next step, as the SyncTarget does. */
    private void refill() {
        if (!done) {
            pacer.refill(System.nanoTime(), range.endBit() - cursor, this::issue);
        }
    }

    /** Asks for the digests of up to {@code blocks} blocks from the cursor on; returns how many. */
    private int issue(int blocks) {
        int issued = 0;
        while (issued < blocks && cursor < range.endBit()) {
            long stripeEnd = (cursor / ResyncTarget.MAX_REQUEST_BITS + 1) * ResyncTarget.MAX_REQUEST_BITS;
            long bits = Math.min(Math.min(stripeEnd, range.endBit()) - cursor, blocks - issued);
            request(cursor, bits);
            cursor += bits;
            issued += (int) bits;
        }
        return issued;
    }

    private void request(long firstBit, long bits) {
        long offset = firstBit << Bitmap.BLOCK_SHIFT;
        int size = (int) Math.min(bits << Bitmap.BLOCK_SHIFT, meta.usableSectors() * 512 - offset);
        long blockId = nextBlockId++;
        inFlight.put(blockId, new long[] {offset, size});
        sender.sendNow(DataPacket.newBuilder().setVerifyRequest(VerifyRequest.newBuilder().setSector(offset >>> 9)
                .setSize(size).setBlockId(blockId)).build());
    }

    /** The VerifyT's digests: compared with ours off the executor, the outcome recorded on it. */
    void onReply(VerifyReply reply, ResyncTarget.ProtocolViolation violation) {
        long[] range = inFlight.get(reply.getBlockId());
        if (range == null || reply.getSize() != range[1] || reply.getSector() != range[0] >>> 9) {
            violation.report("peer sent verify digests for block id " + reply.getBlockId() + " (sector "
                    + reply.getSector() + ", " + reply.getSize() + " bytes) that were not asked for");
            return;
        }
        if (!comparing.add(reply.getBlockId())) {
            violation.report("peer sent verify digests for block id " + reply.getBlockId() + " twice");
            return;
        }
        long offset = range[0];
        int size = (int) range[1];
        byte[] peerDigests = reply.getDigest().toByteArray();
        Thread.ofVirtual().start(() -> {
            byte[] ours;
            try {
                ours = VerifyTarget.blockDigests(disk, digest, offset, size);
            } catch (IOException e) {
                // DRBD counts a block it cannot read as out of sync: a resync will rewrite it.
                LOG.errorf("%s: online verify cannot read %d bytes at sector %d: %s", logPrefix, size, offset >>> 9,
                        e.getMessage());
                executor.execute(() -> compared(reply.getBlockId(), offset, size, unreadable(size)));
                return;
            }
            BitSet differ;
            try {
                differ = peerDigests.length == 0 ? unreadable(size)
                        : OnlineVerify.differing(ours, peerDigests, VerifyTarget.blocks(size));
            } catch (IllegalArgumentException e) {
                executor.execute(() -> violation.report(e.getMessage()));
                return;
            }
            executor.execute(() -> compared(reply.getBlockId(), offset, size, differ));
        });
    }

    private static BitSet unreadable(int size) {
        BitSet all = new BitSet();
        all.set(0, VerifyTarget.blocks(size));
        return all;
    }

    private void compared(long blockId, long offset, int size, BitSet differ) {
        comparing.remove(blockId);
        if (done || inFlight.remove(blockId) == null) {
            return;
        }
        VerifyTarget.record(meta, runs, offset, size, differ, logPrefix);
        control.send(ControlPacket.newBuilder().setVerifyResult(VerifyResult.newBuilder().setSector(offset >>> 9)
                .setSize(size).setBlockId(blockId).setInSync(differ.isEmpty())
                .setOutOfSync(ByteString.copyFrom(differ.toByteArray()))).build());
        int blocks = VerifyTarget.blocks(size);
        left -= blocks;
        pacer.replied(size >>> 9);
        marks.record(left);
        refill();
        maybeFinished();
    }

    private void maybeFinished() {
        if (done || left > 0 || !inFlight.isEmpty()) {
            return;
        }
        done = true;
        stop();
        runs.close().ifPresent(line -> LOG.errorf("%s: %s", logPrefix, line));
        finished.done(range.bits(), (System.nanoTime() - startNanos) / 1_000_000);
    }

    /** {@code adjust}: the new resync-rate and c-* settings from the next request on. */
    void useRate(ResyncRateController.Settings adjusted) {
        pacer.useRate(adjusted);
    }

    void stop() {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }
}
