package uk.e42.tandem.device;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.meta.Bitmap;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.peer.InboundBuffer;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.BlockAck;
import uk.e42.tandem.peer.v1.CsumRequest;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.ResyncReply;
import uk.e42.tandem.peer.v1.ResyncRequest;
import uk.e42.tandem.sync.ResyncRateController;

/**
 * The SyncTarget drives the resync, as in DRBD: every 100 ms the rate controller decides the rate, and
 * whenever it allows (after a step, and as replies make room) dirty runs of the bitmap become requests
 * of up to 1 MiB (with csums-alg, a digest of the local block goes along and equal blocks are not
 * sent). Replies are written in line with the peer's writes, then their bits are cleared. Runs on the
 * resource executor.
 */
final class ResyncTarget {
    static final int MAX_REQUEST_BITS = 256;

    private final MetaData meta;
    private final BlockStore disk;
    private final PacketSender sender;
    private final WriteApplier applier;
    private final WriteApplier.ControlSink control;
    private final ScheduledExecutorService executor;
    private final RequestPacer pacer;
    private final Digests.Digest csums;
    private final Runnable finished;
    private final SyncMarks marks;
    private final LongConsumer written;
    private final Map<Long, Requested> inFlight = new HashMap<>();
    /** Requests whose reply is being written: a second reply for one of them is refused, not written again. */
    private final Set<Long> writing = new HashSet<>();
    private long nextBlockId = 1;
    private long cursor;
    private long failedBits;
    private boolean paused;
    private boolean done;
    /** The local disk failed mid-resync ({@link #abort}). */
    private boolean aborted;
    private ScheduledFuture<?> ticker;

    /**
     * @param applicationSectors this disk's application I/O so far, for c-min-rate
     * @param csums   null without csums-alg
     * @param written told the bytes of each reply written to the disk
     */
    ResyncTarget(MetaData meta, BlockStore disk, PacketSender sender, WriteApplier applier,
            WriteApplier.ControlSink control, ScheduledExecutorService executor, ResyncRateController controller, LongSupplier applicationSectors,
            Digests.Digest csums,
            SyncMarks marks, LongConsumer written, Runnable finished) {
        this.meta = meta;
        this.disk = disk;
        this.sender = sender;
        this.applier = applier;
        this.control = control;
        this.executor = executor;
        this.pacer = new RequestPacer(controller, applicationSectors, marks::recentKibPerSec, marks::want);
        this.csums = csums;
        this.marks = marks;
        this.written = written;
        this.finished = finished;
    }

    void start() {
        ticker = executor.scheduleAtFixedRate(this::tick, 0, ResyncRateController.STEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    void pause(boolean pause) {
        paused = pause;
        marks.paused(pause);
    }

    long wantKibPerSec() {
        return marks.want();
    }

    long failedBits() {
        return failedBits;
    }

    private void tick() {
        if (done) {
            return;
        }
        marks.record(meta.bitmap().cardinality());
        if (paused) {
            return;
        }
        pacer.step(System.nanoTime(), this::issue);
        maybeFinished();
    }

    /** A reply made room: ask for more at once instead of at the next step. */
    private void refill() {
        if (!paused && !done) {
            pacer.refill(System.nanoTime(), meta.bitmap().cardinality(), this::issue);
        }
    }

    /** Asks for up to {@code blocks} 4 KiB blocks; returns how many were asked for. */
    private int issue(int blocks) {
        Bitmap bitmap = meta.bitmap();
        int issued = 0;
        while (issued < blocks && cursor < bitmap.bits()) {
            long first = bitmap.nextSetBit(cursor);
            if (first < 0 || first >= bitmap.bits()) {
                cursor = bitmap.bits();
                break;
            }
            long stripeEnd = ((first / MAX_REQUEST_BITS) + 1) * MAX_REQUEST_BITS;
            long last = first;
            while (last + 1 < Math.min(stripeEnd, bitmap.bits()) && last + 1 - first < blocks - issued
                    && bitmap.get(last + 1)) {
                last++;
            }
            long bits = last - first + 1;
            request(first, bits);
            issued += (int) bits;
            cursor = last + 1;
        }
        return issued;
    }

    private void request(long firstBit, long bits) {
        long offset = firstBit << Bitmap.BLOCK_SHIFT;
        int size = (int) Math.min(bits << Bitmap.BLOCK_SHIFT, disk.size() - offset);
        long blockId = nextBlockId++;
        inFlight.put(blockId, new Requested(offset, size, bits));
        if (csums == null) {
            sender.sendNow(DataPacket.newBuilder().setResyncRequest(ResyncRequest.newBuilder()
                    .setSector(offset >>> 9).setSize(size).setBlockId(blockId)).build());
            return;
        }
        Thread.ofVirtual().start(() -> {
            ByteBuffer local = ByteBuffer.allocate(size);
            try {
                disk.read(offset, local);
            } catch (IOException e) {
                executor.execute(() -> failed(blockId));
                return;
            }
            byte[] digest = csums.of(local.flip());
            sender.send(DataPacket.newBuilder().setCsumRequest(CsumRequest.newBuilder().setSector(offset >>> 9)
                    .setSize(size).setBlockId(blockId).setDigest(ByteString.copyFrom(digest))).build(), null);
        });
    }

    /**
     * The peer's data for a request: written in order with replicated writes, then the bits clear.
     * {@code buffer} (what the data aliases) is released after the disk write, or at once when refused.
     */
    void onReply(ResyncReply reply, InboundBuffer buffer, ProtocolViolation violation) {
        if (aborted) {
            // asked for before the disk failed: nothing to write it to
            buffer.release();
            return;
        }
        Requested range = inFlight.get(reply.getBlockId());
        if (range == null || reply.getData().size() != range.size()) {
            buffer.release();
            violation.report("peer sent resync data for block id " + reply.getBlockId() + " ("
                    + reply.getData().size() + " bytes) that was not asked for");
            return;
        }
        if (!writing.add(reply.getBlockId())) {
            buffer.release();
            violation.report("peer sent resync data for block id " + reply.getBlockId() + " twice");
            return;
        }
        long offset = range.offset();
        int size = range.size();
        applier.applyResyncData(offset, reply.getData(), buffer, () -> {
            if (aborted) {
                // the disk failed after this write: its meta data is closed, the bit stays set there
                completed(reply.getBlockId());
                return;
            }
            written.accept(size);
            meta.markInSync(offset, size);
            control.send(WriteApplier.ack(AckKind.RS_WRITE_ACK, offset >>> 9, size, reply.getBlockId(), 0));
            completed(reply.getBlockId());
        }, () -> failed(reply.getBlockId()));
    }

    /** RS_IS_IN_SYNC (csums equal) or NEG_RS_DREPLY (the source could not read). */
    void onAck(BlockAck ack) {
        Requested range = inFlight.get(ack.getBlockId());
        if (range == null || writing.contains(ack.getBlockId())) {
            // Answered already (its data is being written): a second answer changes nothing.
            return;
        }
        if (ack.getKind() == AckKind.RS_IS_IN_SYNC) {
            meta.markInSync(range.offset(), range.size());
            completed(ack.getBlockId());
        } else if (ack.getKind() == AckKind.NEG_RS_DREPLY) {
            failed(ack.getBlockId());
        }
    }

    private void completed(long blockId) {
        writing.remove(blockId);
        Requested range = inFlight.remove(blockId);
        if (range != null) {
            pacer.replied(range.bits() << (Bitmap.BLOCK_SHIFT - 9));
            refill();
        }
        maybeFinished();
    }

    private void failed(long blockId) {
        writing.remove(blockId);
        Requested range = inFlight.remove(blockId);
        if (range != null) {
            failedBits += range.bits();
            pacer.replied(range.bits() << (Bitmap.BLOCK_SHIFT - 9));
        }
        maybeFinished();
    }

    private void maybeFinished() {
        if (done || !inFlight.isEmpty() || cursor < meta.bitmap().bits()) {
            return;
        }
        if (meta.bitmap().cardinality() > failedBits) {
            cursor = 0;
            return;
        }
        done = true;
        stop();
        finished.run();
    }

    /** {@code adjust}: the new resync-rate and c-* settings from the next request on. */
    void useRate(ResyncRateController.Settings adjusted) {
        pacer.useRate(adjusted);
    }

    /**
     * The local disk failed (on-io-error detached it): no more requests, what still arrives is dropped, and the
     * resync never counts as finished (it would write the bitmap of a closed disk). A later attach resyncs anew.
     */
    void abort() {
        aborted = true;
        done = true;
        stop();
    }

    void stop() {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }

    /** One request in flight: its bytes, and the 4 KiB blocks the controller counted for it. */
    private record Requested(long offset, int size, long bits) {
    }

    interface ProtocolViolation {
        void report(String what);
    }
}
