package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.GrpcLoopbackPair;
import uk.e42.tandem.peer.NetOptions;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Write;

/**
 * A replicated write's packet wraps the NBD client's buffer instead of copying it. That is only safe
 * if nothing reads the buffer after the writer got it back: these run the real path (gRPC over
 * loopback, through proxies that can stall) with the peer not reading, so packets wait in the link's
 * queues, and check that a buffer overwritten as soon as the writer may do so leaves what the peer
 * receives intact, and that the end of the connection drops what waits, telling each packet's owner once.
 */
class BorrowedWriteBuffersTest {
    /** Liveness slow enough that a stall of a second does not end the connection; sndbuf-size 256 KiB. */
    private static final NetOptions NET = new NetOptions(Duration.ofSeconds(1), Duration.ofSeconds(10),
            Duration.ofSeconds(5), Duration.ofSeconds(5), 7, 256 << 10);
    private static final int FILLER = 32 << 10;
    /** Far more than loopback's socket buffers, the HTTP/2 window and gRPC's own buffer take. */
    private static final long FILL_LIMIT = 512L << 20;

    private GrpcLoopbackPair pair;

    @AfterEach
    void stop() throws Exception {
        if (pair != null) {
            pair.resume();
            pair.close();
        }
    }

    private PacketSender connectedSender() throws Exception {
        pair = GrpcLoopbackPair.connect(NET);
        return new PacketSender(pair.connection(), NET.dataWindowBytes());
    }

    private static ByteBuffer direct(int size, int value) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        while (buffer.hasRemaining()) {
            buffer.put((byte) value);
        }
        return buffer.flip();
    }

    /**
     * Stalls the link and sends packets numbered from 0 until some wait in the link's own queue and gRPC
     * has taken none of them for a while (its buffer, the HTTP/2 window and the sockets' are full).
     * Returns how many were sent.
     */
    private long fillUntilTheLinkHolds(LongConsumer sendNumber) throws InterruptedException {
        pair.stall();
        long sent = 0;
        while (true) {
            long queued = pair.connection().dataBytesQueued();
            if (queued == 0) {
                assertTrue(sent * FILLER < FILL_LIMIT, "the link still took every packet after " + sent);
                sendNumber.accept(sent++);
                continue;
            }
            Thread.sleep(200);
            if (pair.connection().dataBytesQueued() == queued) {
                return sent;
            }
        }
    }

    @Test
    void aBufferGivenBackWhenTheWriteCompletesLeavesWhatThePeerReceivedIntact() throws Exception {
        PacketSender sender = connectedSender();
        Replicator replicator = new Replicator(sender, pair.executor(), 'A', (offset, length) -> {
        }, new PeerStatistics());
        ByteBuffer filler = direct(FILLER, 0);
        long offset = FILLER * fillUntilTheLinkHolds(n -> replicator.write(n * FILLER, filler.duplicate()));

        ByteBuffer buffer = direct(4096, 0x5a);
        byte[] written = new byte[4096];
        buffer.duplicate().get(written);
        Replicator.Ticket ticket = replicator.write(offset, buffer.duplicate());
        // What ReplicatedVolume does for the NBD layer, which then puts the buffer back into its pool,
        // where the next request's payload overwrites it.
        CompletableFuture<Void> givenBack = CompletableFuture.runAsync(() -> {
            ticket.done().join();
            ticket.awaitBufferFree();
            buffer.clear();
            while (buffer.hasRemaining()) {
                buffer.put((byte) 0xa5);
            }
        });
        Thread.sleep(500);
        boolean givenBackWhileQueued = givenBack.isDone();
        pair.resume();

        DataPacket arrived = awaitWriteAt(offset);
        assertArrayEquals(written, arrived.getWrite().getData().toByteArray(),
                "the peer received the write as it was when it was handed in");
        assertFalse(givenBackWhileQueued, "protocol A's write completed while its packet still waited in the link");
        givenBack.get(10, TimeUnit.SECONDS);
        assertTrue(ticket.done().get(), "protocol A: the packet left for the peer");
    }

    private DataPacket awaitWriteAt(long offset) throws InterruptedException {
        NodeExecutors.waitFor(() -> pair.peerReceived().stream()
                .anyMatch(p -> p.hasWrite() && p.getWrite().getSector() == offset >>> 9), "the write at " + offset);
        return pair.peerReceived().stream().filter(p -> p.hasWrite() && p.getWrite().getSector() == offset >>> 9)
                .findFirst().orElseThrow();
    }

    @Test
    void aDisconnectDropsWhatWaitsAndTellsEachPacketOnce() throws Exception {
        PacketSender sender = connectedSender();
        Map<Long, List<Boolean>> told = queueBehindAStall(sender);
        long waiting = untold(told);

        pair.disconnect();
        pair.executor().submit(sender::close).get(10, TimeUnit.SECONDS);

        assertDroppedAndToldOnce(told, waiting);
    }

    @Test
    void aBrokenConnectionDropsWhatWaitsAndTellsEachPacketOnce() throws Exception {
        PacketSender sender = connectedSender();
        Map<Long, List<Boolean>> told = queueBehindAStall(sender);
        long waiting = untold(told);

        pair.cut();
        pair.awaitNodeLeftConnected();
        // As the resource does when it hears the connection ended: the session ends on its executor.
        pair.executor().submit(sender::close).get(10, TimeUnit.SECONDS);

        assertDroppedAndToldOnce(told, waiting);
    }

    private static long untold(Map<Long, List<Boolean>> told) {
        return told.values().stream().filter(List::isEmpty).count();
    }

    /**
     * Writes numbered by block id, each wrapping a direct buffer, until packets wait both in the link's
     * queue and in the sender's (a second thread is then blocked on the window). Returns what each
     * packet the sender took has been told so far.
     */
    private Map<Long, List<Boolean>> queueBehindAStall(PacketSender sender) throws Exception {
        Map<Long, List<Boolean>> told = new ConcurrentHashMap<>();
        ByteBuffer data = direct(FILLER, 1);
        long[] next = {fillUntilTheLinkHolds(n -> send(sender, n, data, told))};
        Thread blocked = Thread.ofPlatform().start(() -> {
            while (send(sender, next[0], data, told)) {
                next[0]++;
            }
        });
        NodeExecutors.waitFor(() -> blocked.getState() == Thread.State.WAITING, "a sender blocked on the window");
        return told;
    }

    private static boolean send(PacketSender sender, long blockId, ByteBuffer data, Map<Long, List<Boolean>> told) {
        List<Boolean> outcomes = new CopyOnWriteArrayList<>();
        DataPacket packet = DataPacket.newBuilder().setWrite(Write.newBuilder().setBlockId(blockId)
                .setSector(blockId * (FILLER >>> 9)).setData(UnsafeByteOperations.unsafeWrap(data.duplicate())))
                .build();
        if (!sender.send(packet, null, outcomes::add)) {
            return false;
        }
        told.put(blockId, outcomes);
        return true;
    }

    /** {@code waiting}: the packets in the link's queue and the sender's when the connection ended. */
    private void assertDroppedAndToldOnce(Map<Long, List<Boolean>> told, long waiting) throws Exception {
        pair.resume();
        pair.awaitPeerLeftConnected();
        NodeExecutors.waitFor(() -> told.values().stream().noneMatch(List::isEmpty), "every packet told");
        List<Long> dropped = new ArrayList<>();
        told.forEach((blockId, outcomes) -> {
            assertEquals(1, outcomes.size(), "packet " + blockId + " was told " + outcomes);
            if (!outcomes.getFirst()) {
                dropped.add(blockId);
            }
        });
        assertTrue(waiting >= 2, "packets waited in the link's queue and in the sender's: " + waiting);
        assertEquals(waiting, dropped.size(), "every packet that waited was dropped, none handed to gRPC: " + dropped);
        long[] arrived = pair.peerReceived().stream().filter(DataPacket::hasWrite)
                .mapToLong(p -> p.getWrite().getBlockId()).toArray();
        for (int i = 0; i < arrived.length; i++) {
            assertEquals(i, arrived[i], "the peer received a prefix of what was sent: " + Arrays.toString(arrived));
            assertFalse(dropped.contains(arrived[i]), "dropped packet " + arrived[i] + " reached the peer");
        }
    }
}
