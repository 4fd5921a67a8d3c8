package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.ResyncReply;
import uk.e42.tandem.peer.v1.VerifyReply;
import uk.e42.tandem.peer.v1.VerifyRequest;
import uk.e42.tandem.sync.OnlineVerify;
import uk.e42.tandem.sync.ResyncRateController;

/**
 * Hostile-peer rules for the runs this node drives: a request gets one answer. A second resync reply
 * or a second set of verify digests for the same request ends the connection; nothing is written,
 * acknowledged or counted twice.
 */
class HostileRepliesTest {
    private static final long DEVICE = 1L << 20;

    @TempDir
    Path dir;

    private final NodeExecutors executors = new NodeExecutors();
    private final ScheduledExecutorService executor = executors.self;
    private final List<ControlPacket> controlSent = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<Long> written = new CopyOnWriteArrayList<>();
    private final List<Long> finished = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        executors.close();
    }

    /**
     * Waits until the first reply's work is done, then lets whatever the second one might have started
     * (nothing, if it was refused) run out on the executor.
     */
    private void settle(BooleanSupplier firstReplyDone, String what) throws Exception {
        NodeExecutors.waitFor(firstReplyDone, what);
        Thread.sleep(50);
        executor.submit(() -> null).get();
    }

    /** Whatever the applier's worker holds is written and its follow-up ran on the executor. */
    private static BooleanSupplier drained(WriteApplier applier) {
        AtomicBoolean drained = new AtomicBoolean();
        applier.applyInOrder(() -> {
        }, () -> drained.set(true), () -> {
        });
        return drained::get;
    }

    @Test
    void aSecondResyncReplyForTheSameRequestEndsTheConnectionAndIsNotWritten() throws Exception {
        try (TestVolume volume = TestVolume.create(dir, DEVICE);
                WriteApplier applier = new WriteApplier(volume.disk(), executor, controlSent::add, controlSent::add,
                        violations::add, new AlwaysWritable(), bytes -> {
                        }, "r0")) {
            volume.meta().markOutOfSync(0, 8192);
            PeerEnd peer = new PeerEnd(executors);
            ResyncTarget target = new ResyncTarget(volume.meta(), volume.disk(), peer.sender, applier,
                    controlSent::add, executor, new ResyncRateController(ResyncRateController.Settings.DEFAULTS),
                    () -> 0, null, new SyncMarks(DEVICE >> 12), written::add, () -> finished.add(1L));
            executor.execute(target::start);
            NodeExecutors.waitFor(() -> !peer.peerReceived.isEmpty(), "the resync request");
            DataPacket request = peer.peerReceived.getFirst();
            ResyncReply reply = ResyncReply.newBuilder().setSector(request.getResyncRequest().getSector())
                    .setSize(request.getResyncRequest().getSize()).setBlockId(request.getResyncRequest().getBlockId())
                    .setData(ByteString.copyFrom(new byte[request.getResyncRequest().getSize()])).build();
            CountedBuffer first = new CountedBuffer();
            CountedBuffer second = new CountedBuffer();
            executor.submit(() -> {
                target.onReply(reply, first, violations::add);
                target.onReply(reply, second, violations::add);
                assertEquals(1, second.releases(), "the refused reply's buffer goes back at once");
            }).get();
            settle(drained(applier), "the resync reply's write");
            executor.submit(target::stop).get();
            assertEquals(List.of("peer sent resync data for block id " + reply.getBlockId() + " twice"), violations);
            assertEquals(List.of(8192L), written, "the block was written once");
            assertEquals(List.of(AckKind.RS_WRITE_ACK), controlSent.stream().map(p -> p.getBlockAck().getKind())
                    .toList(), "and acknowledged once");
            assertEquals(0, volume.meta().bitmap().cardinality());
            assertEquals(1, first.releases(), "the written reply's buffer went back once, after the write");
        }
    }

    @Test
    void aSecondSetOfVerifyDigestsEndsTheConnectionAndIsNotCounted() throws Exception {
        try (TestVolume volume = TestVolume.create(dir, DEVICE)) {
            Digests.Digest md5 = Digests.named("md5");
            OnlineVerify.Range range = new OnlineVerify.Range(0, 2);
            PeerEnd peer = new PeerEnd(executors);
            VerifySource source = new VerifySource(volume.meta(), volume.disk(), peer.sender, controlSent::add,
                    executor, new ResyncRateController(ResyncRateController.Settings.DEFAULTS), () -> 0, md5, range,
                    new SyncMarks(range.bits()), "r0", (verifiedBits, activeMillis) -> finished.add(verifiedBits));
            executor.execute(source::start);
            NodeExecutors.waitFor(() -> !peer.peerReceived.isEmpty(), "the verify request");
            VerifyRequest request = peer.peerReceived.getFirst().getVerifyRequest();
            // The peer's digests equal ours: the blocks are in sync, and one reply would end the run.
            byte[] digests = VerifyTarget.blockDigests(volume.disk(), md5, request.getSector() << 9, request.getSize());
            VerifyReply reply = VerifyReply.newBuilder().setSector(request.getSector()).setSize(request.getSize())
                    .setBlockId(request.getBlockId()).setDigest(ByteString.copyFrom(digests)).build();
            executor.submit(() -> {
                source.onReply(reply, violations::add);
                source.onReply(reply, violations::add);
            }).get();
            settle(() -> !finished.isEmpty(), "the end of the verify run");
            executor.submit(source::stop).get();
            assertEquals(List.of("peer sent verify digests for block id " + reply.getBlockId() + " twice"), violations);
            assertEquals(1, controlSent.stream().filter(ControlPacket::hasVerifyResult).count(), "one result sent");
            assertEquals(List.of(2L), finished, "the run ended once, with each block counted once");
        }
    }

    private static final class AlwaysWritable implements WriteApplier.LocalDisk {
        @Override
        public boolean localDiskWritable() {
            return true;
        }

        @Override
        public void localWriteFailed(long offset, long length, IOException error) {
            throw new AssertionError("no write fails here", error);
        }
    }
}
