package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestReaderTest {
    final List<ByteBuffer> released = new ArrayList<>();
    final RequestReader reader = new RequestReader(4096, ByteBuffer::allocate, released::add);

    static ChannelInput input(ByteBuffer... chunks) {
        return new ChannelInput(ChunkedChannel.of(chunks));
    }

    @Test
    void decodesHeaderFields() throws Exception {
        NbdRequest r = reader.next(input(NbdBytes.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_READ, 0x1122334455667788L, -512,
                0xfffffe00L)));
        assertEquals(Nbd.CMD_FLAG_FUA, r.flags());
        assertEquals(Nbd.CMD_READ, r.type());
        assertEquals(0x1122334455667788L, r.handle());
        assertEquals(-512, r.offset());
        assertEquals(0xfffffe00L, r.length());
        assertNull(r.payload());
    }

    @Test
    void writePayloadIsCollectedAcrossChunks() throws Exception {
        ChannelInput in = input(NbdBytes.request(0, Nbd.CMD_WRITE, 7, 0, 6), ByteBuffer.wrap(new byte[] {1, 2}),
                ByteBuffer.wrap(new byte[] {3, 4, 5, 6, 9}));
        NbdRequest r = reader.next(in);
        assertEquals(6, r.payload().remaining());
        assertEquals(6, r.payload().get(5));
        assertTrue(in.hasBuffered());
    }

    @Test
    void oversizedWritePayloadIsSkippedAndTheStreamStaysInStep() throws Exception {
        ChannelInput in = input(NbdBytes.request(0, Nbd.CMD_WRITE, 1, 0, 10_000), ByteBuffer.allocate(10_000),
                NbdBytes.request(0, Nbd.CMD_FLUSH, 2, 0, 0));
        NbdRequest skipped = reader.next(in);
        assertEquals(1, skipped.handle());
        assertNull(skipped.payload());
        assertEquals(2, reader.next(in).handle());
    }

    @Test
    void zeroLengthWriteHasAnEmptyPayload() throws Exception {
        assertEquals(0, reader.next(input(NbdBytes.request(0, Nbd.CMD_WRITE, 3, 0, 0))).payload().remaining());
    }

    @Test
    void aPayloadCutShortByTheClientGoesBackToThePool() {
        ChannelInput in = input(NbdBytes.request(0, Nbd.CMD_WRITE, 4, 0, 4096), ByteBuffer.allocate(1000));
        assertThrows(EOFException.class, () -> reader.next(in));
        assertEquals(1, released.size());
        assertEquals(4096, released.get(0).capacity());
    }

    @Test
    void badMagicIsAProtocolViolation() {
        NbdProtocolException e = assertThrows(NbdProtocolException.class,
                () -> reader.next(input(ByteBuffer.allocate(28).putInt(0, 0xdeadbeef))));
        assertTrue(e.getMessage().contains("0xdeadbeef"), e.getMessage());
    }
}
