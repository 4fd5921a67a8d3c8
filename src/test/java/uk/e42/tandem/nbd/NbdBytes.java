package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builds client messages and reads server messages as raw bytes, the way a client on the wire would. */
final class NbdBytes {
    private NbdBytes() {
    }

    static ByteBuffer option(int option, byte[] data) {
        return ByteBuffer.allocate(16 + data.length).putLong(Nbd.IHAVEOPT).putInt(option).putInt(data.length).put(data)
                .flip();
    }

    static byte[] goData(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length).putInt(n.length).put(n)
                .putShort((short) infos.length);
        for (int info : infos) {
            b.putShort((short) info);
        }
        return b.array();
    }

    static ByteBuffer request(int flags, int type, long handle, long offset, long length) {
        return ByteBuffer.allocate(28).putInt(Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(handle).putLong(offset).putInt((int) length).flip();
    }

    /** An option reply split into its fields. */
    record OptionReply(long magic, int option, int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    static OptionReply optionReply(ByteBuffer b) {
        long magic = b.getLong();
        int option = b.getInt();
        int type = b.getInt();
        byte[] data = new byte[b.getInt()];
        b.get(data);
        return new OptionReply(magic, option, type, data);
    }

    static ByteBuffer concat(List<ByteBuffer> parts) {
        ByteBuffer all = ByteBuffer.allocate(parts.stream().mapToInt(ByteBuffer::remaining).sum());
        parts.forEach(p -> all.put(p.duplicate()));
        return all.flip();
    }
}
