package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ChannelInputTest {

    @Test
    void frameWaitsForWholeFrameAcrossReads() throws Exception {
        ChannelInput in = new ChannelInput(ChunkedChannel.of(ByteBuffer.wrap(new byte[] {1, 2, 3}),
                ByteBuffer.wrap(new byte[] {4, 5, 6})));
        ByteBuffer frame = in.frame(5);
        byte[] got = new byte[5];
        frame.get(got);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, got);
        assertTrue(in.hasBuffered());
        assertEquals(6, in.frame(1).get());
        assertFalse(in.hasBuffered());
    }

    @Test
    void skipDropsAcrossReads() throws Exception {
        ChannelInput in = new ChannelInput(ChunkedChannel.of(ByteBuffer.wrap(new byte[] {1, 2}),
                ByteBuffer.wrap(new byte[] {3, 4})));
        in.skip(3);
        assertEquals(4, in.frame(1).get());
    }

    @Test
    void endOfStreamInsideAFrameIsAnEofException() {
        ChannelInput in = new ChannelInput(ChunkedChannel.of(ByteBuffer.wrap(new byte[] {1, 2})));
        assertThrows(EOFException.class, () -> in.frame(28));
        ChannelInput payload = new ChannelInput(ChunkedChannel.of(ByteBuffer.allocate(100_000)));
        assertThrows(EOFException.class, () -> payload.fill(ByteBuffer.allocateDirect(1 << 20)));
    }

    /** A 1 MiB payload is read in place: reads of more than the staging buffer, not 64 KiB copies. */
    @Test
    void aLargePayloadIsReadStraightIntoItsBuffer() throws Exception {
        ByteBuffer sent = ByteBuffer.allocate(28 + (1 << 20));
        for (int i = 0; i < sent.capacity(); i++) {
            sent.put(i, (byte) (i * 31));
        }
        ChunkedChannel channel = ChunkedChannel.of(sent.slice(0, 100), sent.slice(100, sent.capacity() - 100));
        ChannelInput in = new ChannelInput(channel);
        in.frame(28);
        ByteBuffer payload = ByteBuffer.allocateDirect(1 << 20);
        in.fill(payload);
        assertEquals(sent.slice(28, 1 << 20), payload.flip());
        assertTrue(channel.largestRead > ChannelInput.STAGING, "largest read " + channel.largestRead);
    }

    /** However the socket cuts the stream, frames, fills and skips come out as the bytes went in. */
    @Property
    void framesReassembleTheStream(@ForAll @Size(min = 1, max = 40) List<@Size(max = 50) byte[]> chunks,
            @ForAll @IntRange(min = 1, max = 30) int frame) throws Exception {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        List<ByteBuffer> buffers = new ArrayList<>();
        for (byte[] chunk : chunks) {
            sent.writeBytes(chunk);
            buffers.add(ByteBuffer.wrap(chunk));
        }
        byte[] all = sent.toByteArray();
        ChannelInput in = new ChannelInput(new ChunkedChannel(buffers));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int at = 0;
        for (int step = 0; at + frame <= all.length; step++) {
            if (step % 3 == 2) {
                in.skip(frame);
                got.write(all, at, frame);
            } else {
                ByteBuffer part = step % 3 == 0 ? in.frame(frame) : filled(in, frame);
                byte[] bytes = new byte[part.remaining()];
                part.get(bytes);
                got.writeBytes(bytes);
            }
            at += frame;
        }
        assertArrayEquals(Arrays.copyOf(all, at), got.toByteArray());
    }

    private static ByteBuffer filled(ChannelInput in, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        in.fill(b);
        return b.flip();
    }
}
