package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.disk.FaultyBlockStore;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.peer.InboundBuffer;
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

    private WriteApplier applier(BlockStore disk) {
        return applier(disk, true);
    }

    private WriteApplier applier(BlockStore disk, boolean writable) {
        return new WriteApplier(disk, executor, sent::add, sent::add, violations::add, new WriteApplier.LocalDisk() {
            @Override
            public boolean localDiskWritable() {
                return writable;
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
                    .setData(ByteString.copyFrom(new byte[4096])).build(), InboundBuffer.NONE);
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
                        .setData(ByteString.copyFrom(new byte[4096])).build(), InboundBuffer.NONE);
                applier.onBarrier(Barrier.newBuilder().setBarrierNr(2).build());
                applier.applyInOrder(() -> {
                }, drained::countDown, drained::countDown);
            });
            assertTrue(drained.await(10, TimeUnit.SECONDS), "the worker got past barrier 2");
            assertEquals(List.of(), barrierAcks(), "an ack for barrier 2 would release epoch 1 on the Primary too");
        }
    }

    private List<String> resyncWrite(WriteApplier applier, long offset, byte[] data) throws Exception {
        List<String> outcomes = new CopyOnWriteArrayList<>();
        executor.execute(() -> applier.applyResyncData(offset, ByteString.copyFrom(data), InboundBuffer.NONE,
                () -> outcomes.add("written"), () -> outcomes.add("failed")));
        NodeExecutors.waitFor(() -> !outcomes.isEmpty(), "the resync write's outcome");
        return outcomes;
    }

    @Test
    void aResyncWriteTheDiskFailsGoesToOnIoErrorAndCountsAsFailed() throws Exception {
        try (FaultyBlockStore disk = disk().failWrites(8192, 4096); WriteApplier applier = applier(disk)) {
            assertEquals(List.of("failed"), resyncWrite(applier, 8192, new byte[4096]));
            assertEquals(List.of(4096L), failedLengths, "on-io-error heard of it, with its length");
            assertEquals(List.of("written"), resyncWrite(applier, 0, new byte[4096]));
            assertEquals(List.of(4096L), failedLengths);
        }
    }

    /** on-io-error's detach can come while resync replies are still queued for the worker. */
    @Test
    void resyncDataQueuedWhenTheDiskWentAwayIsNotWritten() throws Exception {
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 0x5a);
        try (FaultyBlockStore disk = disk(); WriteApplier applier = applier(disk, false)) {
            assertEquals(List.of("failed"), resyncWrite(applier, 8192, data));
            ByteBuffer back = ByteBuffer.allocate(4096);
            disk.read(8192, back);
            assertEquals(ByteString.copyFrom(new byte[4096]), ByteString.copyFrom(back.flip()), "nothing written");
            assertEquals(List.of(), failedLengths, "no write, so no disk error");
        }
    }

    private static Write write(long sector, int blockId, int bytes) {
        byte[] data = new byte[bytes];
        Arrays.fill(data, (byte) blockId);
        return Write.newBuilder().setSector(sector).setBlockId(blockId).setSeq(blockId).setAck(AckWanted.ACK_WRITE)
                .setData(ByteString.copyFrom(data)).build();
    }

    private List<AckKind> blockAcks() {
        return sent.stream().filter(ControlPacket::hasBlockAck).map(p -> p.getBlockAck().getKind()).toList();
    }

    /**
     * A payload that arrived in pieces whose edges fall mid-sector (as gRPC's frames do) reaches the
     * disk in one write: no sector is ever written in two halves.
     */
    @Test
    void aPayloadInPiecesReachesTheDiskInOneWrite() throws Exception {
        byte[] bytes = new byte[8192];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        ByteString pieces = ByteString.empty();
        for (int[] piece : new int[][] {{0, 1000}, {1000, 5100}, {5100, 8192}}) {
            ByteBuffer direct = ByteBuffer.allocateDirect(piece[1] - piece[0]).put(bytes, piece[0], piece[1] - piece[0]);
            pieces = pieces.concat(UnsafeByteOperations.unsafeWrap(direct.flip()));
        }
        assertEquals(3, pieces.asReadOnlyByteBufferList().size());
        List<Integer> diskWrites = new CopyOnWriteArrayList<>();
        try (FaultyBlockStore faulty = disk();
                BlockStore disk = new BlockStoreWatch(faulty, () -> diskWrites.add(1));
                WriteApplier applier = applier(disk)) {
            Write write = Write.newBuilder().setSector(16).setBlockId(1).setSeq(1).setAck(AckWanted.ACK_WRITE)
                    .setData(pieces).build();
            executor.execute(() -> applier.onWrite(write, InboundBuffer.NONE));
            NodeExecutors.waitFor(() -> !blockAcks().isEmpty(), "the write ack");
            assertEquals(List.of(1), diskWrites, "one disk write for the three pieces");
            ByteBuffer back = ByteBuffer.allocate(bytes.length);
            faulty.read(16 << 9, back);
            assertEquals(ByteString.copyFrom(bytes), ByteString.copyFrom(back.flip()));
        }
    }

    @Test
    void aWriteKeepsItsBufferUntilTheDiskHasItThenReleasesItOnce() throws Exception {
        CountedBuffer buffer = new CountedBuffer();
        List<Integer> releasesSeenByTheDisk = new CopyOnWriteArrayList<>();
        try (FaultyBlockStore faulty = disk();
                BlockStore disk = new BlockStoreWatch(faulty, () -> releasesSeenByTheDisk.add(buffer.releases()));
                WriteApplier applier = applier(disk)) {
            executor.execute(() -> applier.onWrite(write(8, 5, 8192), buffer));
            NodeExecutors.waitFor(() -> !blockAcks().isEmpty(), "the write ack");
            assertEquals(List.of(AckKind.WRITE_ACK), blockAcks());
            assertEquals(List.of(0), releasesSeenByTheDisk, "the disk wrote the bytes before they were released");
            assertEquals(1, buffer.releases());
            ByteBuffer back = ByteBuffer.allocate(8192);
            faulty.read(8 << 9, back);
            assertEquals(ByteString.copyFrom(back.flip()), write(8, 5, 8192).getData());
        }
    }

    @Test
    void aRefusedOrFailedOrDisklessWriteReleasesItsBufferOnceToo() throws Exception {
        CountedBuffer beyondTheEnd = new CountedBuffer();
        CountedBuffer failing = new CountedBuffer();
        CountedBuffer diskless = new CountedBuffer();
        try (FaultyBlockStore disk = disk().failWrites(0, 4096); WriteApplier applier = applier(disk);
                WriteApplier withoutDisk = applier(disk, false)) {
            executor.execute(() -> {
                applier.onWrite(write(DEVICE >> 9, 1, 4096), beyondTheEnd);
                applier.onWrite(write(0, 2, 4096), failing);
                withoutDisk.onWrite(write(8, 3, 4096), diskless);
            });
            NodeExecutors.waitFor(() -> blockAcks().size() == 2, "both NEG_ACKs");
            assertEquals(List.of(AckKind.NEG_ACK, AckKind.NEG_ACK), blockAcks());
            assertEquals(1, violations.size(), violations.toString());
            assertEquals(List.of(1, 1, 1), List.of(beyondTheEnd.releases(), failing.releases(), diskless.releases()));
        }
    }
}
