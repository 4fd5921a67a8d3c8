package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.v1.Barrier;
import uk.e42.tandem.peer.v1.DataPacket;

/** The sender hands packets to the link one thread at a time, in order; one failed hand-over stops nothing after it. */
class PacketSenderTest {
    private final NodeExecutors executors = new NodeExecutors();
    private final PeerEnd peer = new PeerEnd(executors);

    @AfterEach
    void stop() {
        executors.close();
    }

    private static DataPacket barrier(int number) {
        return DataPacket.newBuilder().setBarrier(Barrier.newBuilder().setBarrierNr(number)).build();
    }

    /**
     * A link that throws while taking a packet does not fail its sender, and the next packets still go
     * out, once each: the packet the link failed with is the link's (never handed on again), and the count
     * of threads asking for a hand-on went back to zero (it stayed at one, and every later packet waited
     * for a hand-on nobody would do).
     */
    @Test
    void aPacketTheLinkFailsWithIsNotSentAgainAndTheNextOnesGoOut() throws Exception {
        AtomicBoolean failOnce = new AtomicBoolean(true);
        peer.link.afterDataTaken(packet -> {
            if (failOnce.getAndSet(false)) {
                throw new IllegalStateException("the link failed");
            }
        });
        assertTrue(peer.sender.send(barrier(1), null));
        assertTrue(peer.sender.send(barrier(2), null));
        NodeExecutors.waitFor(() -> peer.peerReceived.size() >= 2, "two packets received");
        assertTrue(peer.sender.send(barrier(3), null));
        NodeExecutors.waitFor(() -> peer.peerReceived.size() >= 3, "three packets received");
        assertEquals(List.of(1, 2, 3), peer.peerReceived.stream().map(p -> p.getBarrier().getBarrierNr()).toList());
    }
}
