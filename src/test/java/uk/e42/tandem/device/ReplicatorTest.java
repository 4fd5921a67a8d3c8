package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.v1.BarrierAck;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * What a FLUSH learns from the barrier it waits for: true only once the peer acknowledged it; false
 * when the connection ended first, with the epoch's writes marked out of sync, because then nothing of
 * it is known to be on the peer's stable storage.
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
}
