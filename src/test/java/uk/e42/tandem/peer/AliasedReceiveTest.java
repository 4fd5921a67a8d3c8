package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.protobuf.ByteString;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.v1.AckWanted;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Write;

/**
 * Received writes alias gRPC's Netty buffers over a real loopback link, and those buffers go back
 * exactly when their holder releases them: Netty's leak detector at PARANOID reports any buffer that
 * was never released, a held payload that gRPC recycled early reads as other writes' bytes, and a
 * second release fails.
 */
class AliasedReceiveTest {
    /** connect-int 1 s, generous pings: nothing here should time out. */
    private static final NetOptions NET = new NetOptions(Duration.ofSeconds(1), Duration.ofSeconds(10),
            Duration.ofSeconds(5), Duration.ofSeconds(6), 7, 8 << 20);
    private static final int WRITE_BYTES = 256 << 10;

    private final List<String> leaks = new CopyOnWriteArrayList<>();
    private ResourceLeakDetector.Level levelBefore;
    private GrpcNode alpha;
    private GrpcNode beta;

    @BeforeEach
    void start() throws Exception {
        levelBefore = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        byteBufLeakDetector().setLeakListener((type, records) -> leaks.add(type + ": " + records));
        alpha = new GrpcNode("alpha");
        beta = new GrpcNode("beta");
        beta.holdBuffers = true;
        alpha.start("beta", beta.address, NET, PeerFixtures.seedConfig());
        beta.start("alpha", alpha.address, NET, PeerFixtures.seedConfig());
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        beta.awaitState(ConnState.CONN_CONNECTED, 0);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {alpha, beta}) {
            if (c != null) {
                c.close();
            }
        }
        byteBufLeakDetector().setLeakListener(null);
        ResourceLeakDetector.setLevel(levelBefore);
    }

    /** Netty's detector for every ByteBuf; not public, hence reflection. */
    private static ResourceLeakDetector<?> byteBufLeakDetector() throws ReflectiveOperationException {
        Field field = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
        field.setAccessible(true);
        return (ResourceLeakDetector<?>) field.get(null);
    }

    private static DataPacket write(int n) {
        byte[] data = new byte[WRITE_BYTES];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (n * 31 + i);
        }
        return DataPacket.newBuilder().setWrite(Write.newBuilder().setSector(n * (WRITE_BYTES >> 9)).setBlockId(n)
                .setSeq(n).setAck(AckWanted.ACK_WRITE).setData(ByteString.copyFrom(data))).build();
    }

    private static void send(GrpcNode sender, int from, int to) throws Exception {
        PeerConnection connection = sender.established.getFirst();
        for (int n = from; n < to; n++) {
            DataPacket packet = write(n);
            GrpcNode.await(() -> {
                try {
                    return sender.onExecutor(() -> connection.sendData(packet));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, sender.name + "'s data window takes write " + n);
        }
    }

    /** Releases what {@code receiver} holds and forgets it, so a buffer that was not given back is garbage the detector sees. */
    private static void releaseHeld(GrpcNode receiver) {
        List<GrpcNode.Held> held = List.copyOf(receiver.held);
        receiver.held.clear();
        held.forEach(h -> h.buffer().release());
    }

    /** Bytes of the peer links' pool that buffers have taken (its one direct arena). */
    private static long peerPoolActiveBytes() {
        return PeerBuffers.ALLOCATOR.metric().directArenas().getFirst().numActiveBytes();
    }

    /** Collects what the detector found: leaked buffers are reported as the next ones are tracked. */
    private List<String> leaksAfterGc() throws InterruptedException {
        for (int round = 0; round < 5; round++) {
            System.gc();
            Thread.sleep(50);
            List<ByteBuf> probes = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                probes.add(PooledByteBufAllocator.DEFAULT.directBuffer(64));
            }
            probes.forEach(ByteBuf::release);
        }
        return leaks;
    }

    @Test
    void heldWritesStayIntactWhileTrafficFlowsAndTheWindowBoundsThem() throws Exception {
        int window = GrpcPeerServer.DATA_INBOUND_WINDOW;
        send(alpha, 0, window + 8);
        GrpcNode.await(() -> beta.held.size() == window, "beta holds a window of writes");
        Thread.sleep(300);
        assertEquals(window, beta.held.size(), "no write beyond the inbound window arrives while the window is held");
        for (GrpcNode.Held held : beta.held) {
            Write got = held.packet().getWrite();
            assertNotSame(InboundBuffer.NONE, held.buffer());
            for (ByteBuffer piece : got.getData().asReadOnlyByteBufferList()) {
                assertTrue(piece.isDirect(), "the payload is gRPC's direct buffer, not a heap copy");
            }
            assertEquals(write(got.getSeq()).getWrite().getData(), got.getData(), "write " + got.getSeq() + " intact");
        }
        List<GrpcNode.Held> first = List.copyOf(beta.held);
        releaseHeld(beta);
        GrpcNode.await(() -> beta.held.size() == 8, "the writes behind the window arrive once it is released");
        for (GrpcNode.Held held : beta.held) {
            assertEquals(write(held.packet().getWrite().getSeq()).getWrite().getData(),
                    held.packet().getWrite().getData());
        }
        releaseHeld(beta);
        try {
            first.getFirst().buffer().release();
            throw new AssertionError("a second release went through");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage().contains("released twice"), expected.getMessage());
        }
        first = null;
        assertEquals(List.of(), leaksAfterGc());
    }

    /**
     * Both ends of a link receive into {@link PeerBuffers#ALLOCATOR}: one TCP connection has a dialed channel at
     * one end and an accepted one at the other, so writes each way cover both. What a receiver holds is that
     * pool's memory and goes back to it on release; a channel left on grpc-netty's own allocator would hold
     * other memory, and the pool's taken bytes would not move.
     */
    @Test
    void bothEndsOfALinkReceiveIntoThePeerLinksPool() throws Exception {
        alpha.holdBuffers = true;
        assertReceivesIntoThePeerLinksPool(alpha, beta);
        assertReceivesIntoThePeerLinksPool(beta, alpha);
        assertEquals(List.of(), leaksAfterGc());
    }

    private static void assertReceivesIntoThePeerLinksPool(GrpcNode sender, GrpcNode receiver) throws Exception {
        int window = GrpcPeerServer.DATA_INBOUND_WINDOW;
        send(sender, 0, window);
        GrpcNode.await(() -> receiver.held.size() == window, receiver.name + " holds a window of writes");
        long holding = peerPoolActiveBytes();
        releaseHeld(receiver);
        long givenBack = holding - peerPoolActiveBytes();
        // The held payloads alone are window * WRITE_BYTES; half of it leaves room for a buffer still shared.
        assertTrue(givenBack >= window * (long) WRITE_BYTES / 2, receiver.name + "'s held writes gave back "
                + givenBack + " bytes to the peer links' pool: its channel does not receive into PeerBuffers.ALLOCATOR");
    }
}
