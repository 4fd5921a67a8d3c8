package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class BufferPoolTest {
    final BufferPool pool = new BufferPool(BlockSizes.MAX_PAYLOAD);

    @Test
    void aReadWithItsHeaderStaysInItsSizeClass() {
        ByteBuffer b = pool.acquire(Transmission.HEADROOM + (1 << 20));
        assertEquals((1 << 20) + BufferPool.SLACK, b.capacity());
        assertEquals(Transmission.HEADROOM + (1 << 20), b.limit());
        assertTrue(b.isDirect());
    }

    @Test
    void releasedBuffersAreReusedAndForeignOnesIgnored() {
        ByteBuffer b = pool.acquire(4096);
        pool.release(b);
        assertSame(b, pool.acquire(100));
        pool.release(ByteBuffer.allocate(4096 + BufferPool.SLACK));
        assertNotSame(b, pool.acquire(4096));
        assertEquals(BlockSizes.MAX_PAYLOAD + BufferPool.SLACK, pool.acquire(BlockSizes.MAX_PAYLOAD + 32).capacity());
    }
}
