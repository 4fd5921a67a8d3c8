package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
     * A link that throws while taking a packet fails that send, and the next packets still go out: the
     * count of threads asking for a hand-on went back to zero (it stayed at one, and every later packet
     * waited for a hand-on nobody would do). The packet the link failed with stays first in line.
     */
    @Test
    void aSendThatThrowsDoesNotStopTheNextOnes() throws Exception {
        AtomicBoolean failOnce = new AtomicBoolean(true);
        peer.link.afterDataTaken(packet -> {
            if (failOnce.getAndSet(false)) {
                throw new IllegalStateException("the link failed");
            }
        });
        assertThrows(IllegalStateException.class, () -> peer.sender.send(barrier(1), null));
        assertTrue(peer.sender.send(barrier(2), null));
        NodeExecutors.waitFor(() -> peer.peerReceived.stream().anyMatch(p -> p.getBarrier().getBarrierNr() == 2),
                "the next packet received");
        assertEquals(2, peer.peerReceived.getLast().getBarrier().getBarrierNr());
    }
}
