package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FaultyBlockStore;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.AckWanted;
import uk.e42.tandem.peer.v1.Barrier;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.Write;

/** The Secondary's barrier: acknowledged only once its epoch is on stable storage. */
class WriteApplierTest {
    private static final long DEVICE = 1L << 20;

    @TempDir
    Path dir;

    private final NodeExecutors executors = new NodeExecutors();
    private final ScheduledExecutorService executor = executors.self;
    private final List<ControlPacket> sent = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<Long> failedLengths = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        executors.close();
    }

    private FaultyBlockStore disk() throws IOException {
        Path file = dir.resolve("disk.img");
        Files.write(file, new byte[(int) DEVICE]);
        return new FaultyBlockStore(FileBlockStore.open(file));
    }

    private WriteApplier applier(FaultyBlockStore disk) {
        return new WriteApplier(disk, executor, sent::add, sent::add, violations::add, new WriteApplier.LocalDisk() {
            @Override
            public boolean localDiskWritable() {
                return true;
            }

            @Override
            public void localWriteFailed(long offset, long length, IOException error) {
                failedLengths.add(length);
            }
        }, bytes -> {
        }, "r0");
    }

    /** One write of the epoch, acknowledged once written (protocol C), then its barrier. */
    private void writeThenBarrier(WriteApplier applier) {
        executor.execute(() -> {
            applier.onWrite(Write.newBuilder().setSector(8).setBlockId(1).setSeq(1).setAck(AckWanted.ACK_WRITE)
                    .setData(ByteString.copyFrom(new byte[4096])).build());
            applier.onBarrier(Barrier.newBuilder().setBarrierNr(1).build());
        });
    }

    private List<ControlPacket> barrierAcks() {
        return sent.stream().filter(ControlPacket::hasBarrierAck).toList();
    }

    @Test
    void aFlushedEpochIsAcknowledgedWithItsWriteCount() throws Exception {
        try (FaultyBlockStore disk = disk(); WriteApplier applier = applier(disk)) {
            writeThenBarrier(applier);
            NodeExecutors.waitFor(() -> !barrierAcks().isEmpty(), "the barrier ack");
            assertEquals(1, barrierAcks().getFirst().getBarrierAck().getBarrierNr());
            assertEquals(1, barrierAcks().getFirst().getBarrierAck().getSetSize());
            assertEquals(List.of(), violations);
        }
    }

    @Test
    void aFailedFlushGoesToOnIoErrorAndEndsTheConnectionWithoutTheBarrierAck() throws Exception {
        try (FaultyBlockStore disk = disk().failFlushes(); WriteApplier applier = applier(disk)) {
            writeThenBarrier(applier);
            NodeExecutors.waitFor(() -> !violations.isEmpty(), "the connection to end");
            assertEquals(List.of(0L), failedLengths, "on-io-error heard of the flush (length 0)");
            assertTrue(violations.getFirst().startsWith("local disk flush for barrier 1 failed"), violations.getFirst());
            // Whatever the worker still had queued has gone out by now (it runs in order).
            executor.submit(() -> null).get();
            assertEquals(List.of(), barrierAcks(), "the epoch is not on stable storage: no barrier ack");
            assertEquals(List.of(AckKind.WRITE_ACK), sent.stream().map(p -> p.getBlockAck().getKind()).toList(),
                    "the write itself was written and acknowledged");
        }
    }

    @Test
    void afterAFailedFlushNoLaterBarrierIsAcknowledgedEvenWhenItsFlushWorks() throws Exception {
        try (FaultyBlockStore disk = disk().failFlushes(); WriteApplier applier = applier(disk)) {
            writeThenBarrier(applier);
            NodeExecutors.waitFor(() -> !violations.isEmpty(), "the connection to end");
            // As after a writeback error: the next fsync succeeds, though epoch 1 never reached stable storage.
            disk.heal();
            CountDownLatch drained = new CountDownLatch(1);
            executor.execute(() -> {
                applier.onWrite(Write.newBuilder().setSector(16).setBlockId(2).setSeq(2).setAck(AckWanted.ACK_WRITE)
                        .setData(ByteString.copyFrom(new byte[4096])).build());
                applier.onBarrier(Barrier.newBuilder().setBarrierNr(2).build());
                applier.applyInOrder(() -> {
                }, drained::countDown, drained::countDown);
            });
            assertTrue(drained.await(10, TimeUnit.SECONDS), "the worker got past barrier 2");
            assertEquals(List.of(), barrierAcks(), "an ack for barrier 2 would release epoch 1 on the Primary too");
        }
    }
}
