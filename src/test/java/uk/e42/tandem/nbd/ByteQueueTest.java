package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ByteQueueTest {

    @Test
    void takeWaitsForWholeFrameAndSpansChunks() {
        ByteQueue q = new ByteQueue();
        q.add(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertNull(q.take(5));
        q.add(ByteBuffer.wrap(new byte[] {4, 5, 6}));
        ByteBuffer frame = q.take(5);
        byte[] got = new byte[5];
        frame.get(got);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, got);
        assertEquals(1, q.available());
    }

    @Test
    void skipDropsAcrossChunks() {
        ByteQueue q = new ByteQueue();
        q.add(ByteBuffer.wrap(new byte[] {1, 2}));
        q.add(ByteBuffer.wrap(new byte[] {3, 4}));
        assertEquals(3, q.skip(3));
        assertEquals(4, q.take(1).get());
        assertEquals(0, q.skip(10));
    }

    /** However the socket cuts the stream, frames come out as the bytes went in. */
    @Property
    void framesReassembleTheStream(@ForAll @Size(min = 1, max = 40) List<@Size(max = 50) byte[]> chunks,
            @ForAll @IntRange(min = 1, max = 30) int frame) {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteQueue q = new ByteQueue();
        for (byte[] chunk : chunks) {
            sent.writeBytes(chunk);
            q.add(ByteBuffer.wrap(chunk.clone()));
            for (ByteBuffer f = q.take(frame); f != null; f = q.take(frame)) {
                byte[] bytes = new byte[f.remaining()];
                f.get(bytes);
                got.writeBytes(bytes);
            }
        }
        ByteBuffer rest = ByteBuffer.allocate((int) q.available());
        q.fill(rest);
        got.writeBytes(rest.array());
        assertArrayEquals(sent.toByteArray(), got.toByteArray());
    }
}
