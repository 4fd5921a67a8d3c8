package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ReplyEncoderTest {

    @Test
    void simpleReplyCarriesErrorAndHandle() {
        ByteBuffer b = ReplyEncoder.error(false, 0xabcdL, NbdError.ENOSPC, "ignored without structured replies");
        assertEquals(Nbd.SIMPLE_REPLY_MAGIC, b.getInt());
        assertEquals(28, b.getInt());
        assertEquals(0xabcdL, b.getLong());
        assertFalse(b.hasRemaining());
    }

    @Test
    void structuredReadIsOneDoneDataChunk() {
        ByteBuffer b = ReplyEncoder.readHeader(true, 5, 4096, 512);
        assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, b.getInt());
        assertEquals(Nbd.REPLY_FLAG_DONE, b.getShort());
        assertEquals(Nbd.REPLY_TYPE_OFFSET_DATA, b.getShort());
        assertEquals(5, b.getLong());
        assertEquals(8 + 512, b.getInt());
        assertEquals(4096, b.getLong());
        assertFalse(b.hasRemaining());
    }

    @Test
    void structuredEmptyReadIsANoneChunk() {
        ByteBuffer b = ReplyEncoder.readHeader(true, 5, 0, 0);
        b.getInt();
        assertEquals(Nbd.REPLY_FLAG_DONE, b.getShort());
        assertEquals(Nbd.REPLY_TYPE_NONE, b.getShort());
        b.getLong();
        assertEquals(0, b.getInt());
        assertFalse(b.hasRemaining());
    }

    @Test
    void structuredErrorCarriesTheMessage() {
        ByteBuffer b = ReplyEncoder.error(true, 9, NbdError.EPERM, "Secondary");
        b.getInt();
        assertEquals(Nbd.REPLY_FLAG_DONE, b.getShort());
        assertEquals((short) Nbd.REPLY_TYPE_ERROR, b.getShort());
        assertEquals(9, b.getLong());
        assertEquals(6 + 9, b.getInt());
        assertEquals(1, b.getInt());
        assertEquals(9, b.getShort());
        byte[] text = new byte[9];
        b.get(text);
        assertEquals("Secondary", new String(text));
        assertFalse(b.hasRemaining());
    }
}
