package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class RequestReaderTest {
    final RequestReader reader = new RequestReader(4096, ByteBuffer::allocate);
    final ByteQueue in = new ByteQueue();

    @Test
    void decodesHeaderFields() throws Exception {
        in.add(NbdBytes.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_READ, 0x1122334455667788L, -512, 0xfffffe00L));
        NbdRequest r = reader.next(in);
        assertEquals(Nbd.CMD_FLAG_FUA, r.flags());
        assertEquals(Nbd.CMD_READ, r.type());
        assertEquals(0x1122334455667788L, r.handle());
        assertEquals(-512, r.offset());
        assertEquals(0xfffffe00L, r.length());
        assertNull(r.payload());
    }

    @Test
    void writePayloadIsCollectedAcrossChunks() throws Exception {
        in.add(NbdBytes.request(0, Nbd.CMD_WRITE, 7, 0, 6));
        in.add(ByteBuffer.wrap(new byte[] {1, 2}));
        assertNull(reader.next(in));
        in.add(ByteBuffer.wrap(new byte[] {3, 4, 5, 6, 9}));
        NbdRequest r = reader.next(in);
        assertEquals(6, r.payload().remaining());
        assertEquals(6, r.payload().get(5));
        assertEquals(1, in.available());
    }

    @Test
    void oversizedWritePayloadIsSkippedAndTheStreamStaysInStep() throws Exception {
        in.add(NbdBytes.request(0, Nbd.CMD_WRITE, 1, 0, 10_000));
        in.add(ByteBuffer.allocate(10_000));
        in.add(NbdBytes.request(0, Nbd.CMD_FLUSH, 2, 0, 0));
        NbdRequest skipped = reader.next(in);
        assertEquals(1, skipped.handle());
        assertNull(skipped.payload());
        assertEquals(2, reader.next(in).handle());
    }

    @Test
    void zeroLengthWriteHasAnEmptyPayload() throws Exception {
        in.add(NbdBytes.request(0, Nbd.CMD_WRITE, 3, 0, 0));
        assertEquals(0, reader.next(in).payload().remaining());
    }

    @Test
    void badMagicIsAProtocolViolation() {
        in.add(ByteBuffer.allocate(28).putInt(0, 0xdeadbeef));
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> reader.next(in));
        assertTrue(e.getMessage().contains("0xdeadbeef"), e.getMessage());
    }
}
