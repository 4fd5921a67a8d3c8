package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Transmission replies: simple replies, and structured reply chunks once NBD_OPT_STRUCTURED_REPLY was
 * agreed. A read's data is not copied: the encoder gives the header that goes in front of it (at most
 * {@link Transmission#HEADROOM} bytes).
 */
final class ReplyEncoder {
    static final int SIMPLE_HEADER = 16;
    static final int CHUNK_HEADER = 20;

    private ReplyEncoder() {
    }

    /** Success without data, the same for simple and structured sessions (proto.md allows a simple reply). */
    static ByteBuffer ok(long handle) {
        return simple(handle, 0);
    }

    /** The header to send before {@code length} bytes of read data at {@code offset}. */
    static ByteBuffer readHeader(boolean structured, long handle, long offset, int length) {
        if (!structured) {
            return simple(handle, 0);
        }
        if (length == 0) {
            return chunk(handle, Nbd.REPLY_TYPE_NONE, 0).flip();
        }
        return chunk(handle, Nbd.REPLY_TYPE_OFFSET_DATA, 8 + length).putLong(offset).flip();
    }

    static ByteBuffer error(boolean structured, long handle, NbdError error, String message) {
        if (!structured) {
            return simple(handle, error.code());
        }
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        if (text.length > Nbd.MAX_STRING) {
            text = Arrays.copyOf(text, Nbd.MAX_STRING);
        }
        return chunk(handle, Nbd.REPLY_TYPE_ERROR, 6 + text.length).putInt(error.code()).putShort((short) text.length)
                .put(text).flip();
    }

    private static ByteBuffer simple(long handle, int error) {
        return ByteBuffer.allocate(SIMPLE_HEADER).putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle).flip();
    }

    /** A DONE chunk header with room for the fixed part of its payload; the caller fills and flips it. */
    private static ByteBuffer chunk(long handle, int type, int length) {
        int fixed = type == Nbd.REPLY_TYPE_OFFSET_DATA ? 8 : Math.max(0, length);
        return ByteBuffer.allocate(CHUNK_HEADER + fixed).putInt(Nbd.STRUCTURED_REPLY_MAGIC)
                .putShort((short) Nbd.REPLY_FLAG_DONE).putShort((short) type).putLong(handle).putInt(length);
    }
}
