package uk.e42.tandem.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The 4 KiB block Tandem writes where the superblock of internal meta data will go while it moves the
 * meta data to the end of a grown backing device. Until the new superblock replaces it, the old meta
 * data at {@code oldMdOffset} is the valid one; the record says where it is, so that a node that
 * crashed in the middle of a resize finds its meta data again (drbdmeta keeps a "last known backing
 * device size" file for the same purpose). The magic sits where a superblock has its magic, so that
 * drbdmeta sees no meta data there and Tandem's messages can name it.
 *
 * @param oldDeviceBytes the backing device's size the old meta data was placed for
 */
public record InternalMove(long oldDeviceBytes) {
    /** "TdMv". */
    public static final int MAGIC = 0x54644d76;
    private static final int MAGIC_AT = 0x3c;
    private static final int CRC_AT = 0x40;

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(Superblock.SIZE).order(ByteOrder.BIG_ENDIAN);
        b.putLong(0, oldDeviceBytes);
        b.putInt(MAGIC_AT, MAGIC);
        b.putInt(CRC_AT, crc(b));
        return b;
    }

    /** The record in these 4 KiB, if they hold one whose checksum matches. */
    public static Optional<InternalMove> decode(ByteBuffer buffer) {
        ByteBuffer b = buffer.slice().order(ByteOrder.BIG_ENDIAN);
        if (b.remaining() < Superblock.SIZE || b.getInt(MAGIC_AT) != MAGIC || b.getInt(CRC_AT) != crc(b)) {
            return Optional.empty();
        }
        return Optional.of(new InternalMove(b.getLong(0)));
    }

    private static int crc(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(CRC_AT));
        return (int) crc.getValue();
    }
}
