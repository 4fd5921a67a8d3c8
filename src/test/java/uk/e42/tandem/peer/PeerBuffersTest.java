package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The peer links' buffer pool: what gRPC asks for to frame a replicated 1 MiB write comes out of a pooled
 * chunk (not a malloc per write), from one arena, and a writer thread keeps nothing cached afterwards.
 */
class PeerBuffersTest {

    private static PoolArenaMetric arena(PooledByteBufAllocator allocator) {
        assertEquals(1, allocator.metric().numDirectArenas(), "one direct arena for every link");
        return allocator.metric().directArenas().get(0);
    }

    @Test
    void aFramingBufferIsPooledNotAllocatedPerWrite() {
        // With Quarkus's maxOrder=3 (64 KiB chunks) this size was a "huge" allocation: its own malloc'd memory.
        assertTrue(PeerBuffers.CHUNK_BYTES >= 2 * PeerBuffers.LARGEST_FRAMING_BUFFER, "chunk " + PeerBuffers.CHUNK_BYTES);
        PooledByteBufAllocator allocator = PeerBuffers.newAllocator();
        for (int i = 0; i < 8; i++) {
            ByteBuf buffer = allocator.buffer(PeerBuffers.LARGEST_FRAMING_BUFFER, PeerBuffers.LARGEST_FRAMING_BUFFER);
            assertTrue(buffer.isDirect());
            buffer.release();
        }
        PoolArenaMetric arena = arena(allocator);
        assertEquals(0, arena.numHugeAllocations(), "1 MiB buffers allocated outside the pool");
        assertEquals(8, arena.numNormalAllocations());
    }

    @Test
    void writerThreadsCacheNothing() throws InterruptedException {
        PooledByteBufAllocator allocator = PeerBuffers.newAllocator();
        int writers = 16;
        CountDownLatch allHold = new CountDownLatch(writers);
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                // A 1 MiB write's framing buffer and the small one for its last bytes, as gRPC asks on a writer.
                ByteBuf large = allocator.buffer(PeerBuffers.LARGEST_FRAMING_BUFFER);
                ByteBuf small = allocator.buffer(4096);
                allHold.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                large.release();
                small.release();
            }));
        }
        allHold.await();
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
        PoolArenaMetric arena = arena(allocator);
        assertEquals(0, arena.numHugeAllocations());
        // Released buffers went back to the arena, not into caches of threads that are gone.
        assertEquals(0, arena.numActiveAllocations(), "buffers still taken (cached by a writer thread)");
    }
}
