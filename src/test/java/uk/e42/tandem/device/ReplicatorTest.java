package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.v1.BarrierAck;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * What a FLUSH learns from the barrier it waits for: true only once the peer acknowledged it; false
 * when the connection ended first, with the epoch's writes marked out of sync, because then nothing of
 * it is known to be on the peer's stable storage. Writers hand their packets to the link themselves,
 * and each epoch holds exactly the writes that went out before its barrier.
 */
class ReplicatorTest {
    private final NodeExecutors executors = new NodeExecutors();
    private final PeerEnd peer = new PeerEnd(executors);
    private final List<Long> markedOffsets = new CopyOnWriteArrayList<>();
    private final Replicator replicator = new Replicator(peer.sender, executors.self, 'C',
            (offset, length) -> markedOffsets.add(offset), new PeerStatistics());

    @AfterEach
    void stop() {
        executors.close();
    }

    private CompletableFuture<Boolean> writeThenFlush() throws Exception {
        replicator.write(4096, ByteBuffer.wrap(new byte[4096]));
        CompletableFuture<Boolean> flushed = replicator.barrier(true);
        NodeExecutors.waitFor(() -> peer.peerReceived.stream().anyMatch(DataPacket::hasBarrier), "the barrier sent");
        return flushed;
    }

    @Test
    void theBarrierAckConfirmsTheFlush() throws Exception {
        CompletableFuture<Boolean> flushed = writeThenFlush();
        int number = peer.peerReceived.stream().filter(DataPacket::hasBarrier).findFirst().orElseThrow().getBarrier()
                .getBarrierNr();
        executors.self.execute(() -> replicator.onBarrierAck(BarrierAck.newBuilder().setBarrierNr(number).build()));
        assertTrue(flushed.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(), markedOffsets);
    }

    @Test
    void aConnectionThatEndsBeforeTheBarrierAckConfirmsNothing() throws Exception {
        CompletableFuture<Boolean> flushed = writeThenFlush();
        executors.self.execute(replicator::end);
        assertFalse(flushed.get(10, TimeUnit.SECONDS), "the peer never said the epoch is on stable storage");
        assertEquals(List.of(4096L), markedOffsets, "the epoch's write is out of sync");
        assertFalse(replicator.barrier(true).get(10, TimeUnit.SECONDS), "a FLUSH after the end gets nothing either");
    }

    @Test
    void aWriteReachesThePeerWhileTheExecutorIsBusy() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        executors.self.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            Replicator.Ticket ticket = replicator.write(8192, ByteBuffer.wrap(new byte[4096]));
            assertTrue(ticket.serialized().get(10, TimeUnit.SECONDS), "the writer handed its packet to the link");
            NodeExecutors.waitFor(() -> peer.peerReceived.stream().anyMatch(DataPacket::hasWrite),
                    "the write at the peer, with this node's executor still busy");
        } finally {
            release.countDown();
        }
    }

    /**
     * The thread that hands a barrier on can be overtaken by the peer's ack of it (it is descheduled
     * right after the link took the barrier): the flush waiting for that barrier is still confirmed,
     * and its epoch's write is not left in the transfer log.
     */
    @Test
    void aBarrierAckThatOvertakesItsHandOverStillConfirmsTheFlush() throws Exception {
        CountDownLatch writeInLink = new CountDownLatch(1);
        CountDownLatch barrierQueued = new CountDownLatch(1);
        peer.link.afterDataTaken(packet -> {
            try {
                if (packet.hasWrite()) {
                    writeInLink.countDown();
                    assertTrue(barrierQueued.await(10, TimeUnit.SECONDS), "the barrier queued");
                } else if (packet.hasBarrier()) {
                    BarrierAck ack = BarrierAck.newBuilder().setBarrierNr(packet.getBarrier().getBarrierNr()).build();
                    executors.self.submit(() -> replicator.onBarrierAck(ack)).get();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        Thread writer = Thread.ofPlatform().daemon().start(() -> replicator.write(4096, ByteBuffer.wrap(new byte[4096])));
        assertTrue(writeInLink.await(10, TimeUnit.SECONDS));
        CompletableFuture<Boolean> flushed = replicator.barrier(true);
        // The barrier now waits behind the write that the writer's thread is handing on.
        executors.self.submit(() -> null).get();
        barrierQueued.countDown();
        assertTrue(flushed.get(10, TimeUnit.SECONDS), "the flush is confirmed");
        writer.join();
        executors.self.submit(replicator::end).get();
        assertEquals(List.of(), markedOffsets, "the acknowledged epoch's write is not marked at the end");
    }

    /**
     * A peer acknowledging a barrier that was never sent (garbage, or a lie) confirms nothing that is
     * sent later: the next FLUSH still waits for the ack of its own barrier.
     */
    @Test
    void anAckForABarrierNotYetSentConfirmsNoLaterFlush() throws Exception {
        executors.self.submit(() -> replicator.onBarrierAck(BarrierAck.newBuilder().setBarrierNr(1000).build())).get();
        CompletableFuture<Boolean> flushed = writeThenFlush();
        // Twice round the executor: whatever the barrier's hand-over posted there has run.
        executors.self.submit(() -> null).get();
        executors.self.submit(() -> null).get();
        assertFalse(flushed.isDone(), "the flush waits for its own barrier's ack");
        int number = peer.peerReceived.stream().filter(DataPacket::hasBarrier).findFirst().orElseThrow().getBarrier()
                .getBarrierNr();
        executors.self.execute(() -> replicator.onBarrierAck(BarrierAck.newBuilder().setBarrierNr(number).build()));
        assertTrue(flushed.get(10, TimeUnit.SECONDS));
    }

    /**
     * Protocol A: a write whose connection ends while its thread hands it on (the link took it, its
     * epoch not yet) is marked out of sync; nothing else would mark it, as A completed it on sending.
     */
    @Test
    void aProtocolAWriteCaughtByTheEndWhileHandedOnIsMarked() throws Exception {
        Replicator protocolA = new Replicator(peer.sender, executors.self, 'A',
                (offset, length) -> markedOffsets.add(offset), new PeerStatistics());
        peer.link.afterDataTaken(packet -> {
            try {
                executors.self.submit(() -> {
                    peer.sender.close();
                    protocolA.end();
                }).get();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(protocolA.write(12288, ByteBuffer.wrap(new byte[4096])).done().get(10, TimeUnit.SECONDS),
                "protocol A: done once the link took it");
        assertEquals(List.of(12288L), markedOffsets, "and marked, as the connection ended before its epoch had it");
    }

    /**
     * Writers on four threads and barriers from the executor at the same time: the ack of the last
     * barrier releases exactly the writes the peer received before it, and the end marks exactly those
     * it received after it, whatever thread handed them on.
     */
    @Test
    void eachEpochHoldsTheWritesSentBeforeItsBarrier() throws Exception {
        int threads = 4;
        int writesEach = 300;
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t * writesEach;
            writers.add(Thread.ofPlatform().start(() -> {
                for (int w = first; w < first + writesEach; w++) {
                    replicator.write((long) w << 12, ByteBuffer.wrap(new byte[512])).awaitBufferFree();
                }
            }));
        }
        List<CompletableFuture<Boolean>> barriers = new ArrayList<>();
        do {
            barriers.add(replicator.barrier(false));
            Thread.sleep(1);
        } while (writers.stream().anyMatch(Thread::isAlive));
        for (Thread writer : writers) {
            writer.join();
        }
        for (CompletableFuture<Boolean> barrier : barriers) {
            barrier.get(10, TimeUnit.SECONDS);
        }
        NodeExecutors.waitFor(() -> peer.peerReceived.stream().filter(DataPacket::hasWrite).count() == threads
                * writesEach, "every write at the peer");
        List<DataPacket> received = List.copyOf(peer.peerReceived);
        int lastBarrier = -1;
        for (int i = 0; i < received.size(); i++) {
            if (received.get(i).hasBarrier()) {
                lastBarrier = i;
            }
        }
        assertTrue(lastBarrier > 0, "a barrier went out among the writes");
        Set<Long> afterLastBarrier = new HashSet<>();
        received.subList(lastBarrier + 1, received.size()).stream().filter(DataPacket::hasWrite)
                .forEach(p -> afterLastBarrier.add(p.getWrite().getSector() << 9));
        int number = received.get(lastBarrier).getBarrier().getBarrierNr();
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        executors.self.execute(() -> {
            replicator.onBarrierAck(BarrierAck.newBuilder().setBarrierNr(number).build());
            replicator.end();
            acknowledged.complete(null);
        });
        acknowledged.get(10, TimeUnit.SECONDS);
        assertEquals(afterLastBarrier, new HashSet<>(markedOffsets),
                "out of sync: the writes behind the last acknowledged barrier, no more and no fewer");
    }
}
