package uk.e42.tandem.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 4 KiB v08 meta data superblock ({@code struct meta_data_on_disk}), all fields big-endian:
 * la_size_sect, four generation UUIDs, device UUID, flags, magic, md_size_sect, al_offset,
 * al_nr_extents, bm_offset, bm_bytes_per_bit, la_peer_max_bio_size, al_stripes, al_stripe_size_4k.
 * Offsets are signed sectors relative to the superblock. Decoding checks nothing;
 * {@link MetaLayout#of} decides whether the values make sense where they were found.
 */
public record Superblock(long laSizeSect, GenerationUuids uuids, long deviceUuid, int flags, int magic,
        int mdSizeSect, int alOffsetSect, int alNrExtents, int bmOffsetSect, int bmBytesPerBit,
        int laPeerMaxBioSize, int alStripes, int alStripeSize4k) {
    public static final int SIZE = 4096;
    /** DRBD_MAGIC; the meta data magics are offsets from it. */
    public static final int DRBD_MAGIC = 0x83740267;
    public static final int MAGIC_V07 = DRBD_MAGIC + 3;
    /** Clean v08 meta data. */
    public static final int MAGIC_V08 = DRBD_MAGIC + 4;
    /** What an 8.4 kernel writes while attached: the activity log may need replaying. */
    public static final int MAGIC_84_UNCLEAN = DRBD_MAGIC + 5;
    public static final int MAGIC_V09 = DRBD_MAGIC + 6;
    public static final int BM_BYTES_PER_BIT = 4096;
    /** drbdmeta's "arbitrary" al_nr_extents at create-md; the kernel later writes its al-extents. */
    public static final int CREATE_MD_AL_EXTENTS = 257;

    /** Reads the superblock at the buffer's position (4096 bytes). */
    public static Superblock decode(ByteBuffer buffer) {
        ByteBuffer b = buffer.slice().order(ByteOrder.BIG_ENDIAN);
        int stripes = b.getInt(0x58);
        int stripeSize = b.getInt(0x5c);
        if (stripes == 0 && stripeSize == 0) {
            // Written before 8.4.3: the fixed 32 KiB activity log.
            stripes = 1;
            stripeSize = 8;
        }
        return new Superblock(b.getLong(0x00),
                new GenerationUuids(b.getLong(0x08), b.getLong(0x10), b.getLong(0x18), b.getLong(0x20)),
                b.getLong(0x28), b.getInt(0x38), b.getInt(0x3c), b.getInt(0x40), b.getInt(0x44), b.getInt(0x48),
                b.getInt(0x4c), b.getInt(0x50), b.getInt(0x54), stripes, stripeSize);
    }

    /** The 4096 on-disk bytes; everything not named above is zero. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.BIG_ENDIAN);
        b.putLong(0x00, laSizeSect);
        b.putLong(0x08, uuids.current());
        b.putLong(0x10, uuids.bitmap());
        b.putLong(0x18, uuids.history0());
        b.putLong(0x20, uuids.history1());
        b.putLong(0x28, deviceUuid);
        b.putInt(0x38, flags);
        b.putInt(0x3c, magic);
        b.putInt(0x40, mdSizeSect);
        b.putInt(0x44, alOffsetSect);
        b.putInt(0x48, alNrExtents);
        b.putInt(0x4c, bmOffsetSect);
        b.putInt(0x50, bmBytesPerBit);
        b.putInt(0x54, laPeerMaxBioSize);
        b.putInt(0x58, alStripes);
        b.putInt(0x5c, alStripeSize4k);
        return b;
    }

    public boolean isV08Magic() {
        return magic == MAGIC_V08 || magic == MAGIC_84_UNCLEAN;
    }

    /** Clean: clean magic and AL_CLEAN; anything else needs an activity-log replay (apply-al) first. */
    public boolean isClean() {
        return magic == MAGIC_V08 && (flags & MdFlags.AL_CLEAN) != 0;
    }

    /** Activity log blocks (4 KiB each) in the on-disk ring. */
    public int alBlocks() {
        return alStripes * alStripeSize4k;
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    public Superblock withUuids(GenerationUuids value) {
        return new Superblock(laSizeSect, value, deviceUuid, flags, magic, mdSizeSect, alOffsetSect, alNrExtents,
                bmOffsetSect, bmBytesPerBit, laPeerMaxBioSize, alStripes, alStripeSize4k);
    }

    public Superblock withFlags(int value) {
        return new Superblock(laSizeSect, uuids, deviceUuid, value, magic, mdSizeSect, alOffsetSect, alNrExtents,
                bmOffsetSect, bmBytesPerBit, laPeerMaxBioSize, alStripes, alStripeSize4k);
    }

    public Superblock withFlag(int flag, boolean on) {
        return withFlags(on ? flags | flag : flags & ~flag);
    }

    public Superblock withMagic(int value) {
        return new Superblock(laSizeSect, uuids, deviceUuid, flags, value, mdSizeSect, alOffsetSect, alNrExtents,
                bmOffsetSect, bmBytesPerBit, laPeerMaxBioSize, alStripes, alStripeSize4k);
    }

    public Superblock withLaSizeSect(long value) {
        return new Superblock(value, uuids, deviceUuid, flags, magic, mdSizeSect, alOffsetSect, alNrExtents,
                bmOffsetSect, bmBytesPerBit, laPeerMaxBioSize, alStripes, alStripeSize4k);
    }

    public Superblock withAlNrExtents(int value) {
        return new Superblock(laSizeSect, uuids, deviceUuid, flags, magic, mdSizeSect, alOffsetSect, value,
                bmOffsetSect, bmBytesPerBit, laPeerMaxBioSize, alStripes, alStripeSize4k);
    }

    public Superblock withLaPeerMaxBioSize(int value) {
        return new Superblock(laSizeSect, uuids, deviceUuid, flags, magic, mdSizeSect, alOffsetSect, alNrExtents,
                bmOffsetSect, bmBytesPerBit, value, alStripes, alStripeSize4k);
    }

    /** The same meta data placed by {@code layout} (its offsets relative to the superblock). */
    public Superblock withLayout(MetaLayout layout) {
        return new Superblock(laSizeSect, uuids, deviceUuid, flags, magic, layout.mdSizeSect(), layout.alOffsetSect(),
                alNrExtents, layout.bmOffsetSect(), bmBytesPerBit, laPeerMaxBioSize, alStripes, alStripeSize4k);
    }

    public Superblock withDeviceUuid(long value) {
        return new Superblock(laSizeSect, uuids, value, flags, magic, mdSizeSect, alOffsetSect, alNrExtents,
                bmOffsetSect, bmBytesPerBit, laPeerMaxBioSize, alStripes, alStripeSize4k);
    }

    /** A name for a magic number in messages. */
    public static String magicName(int magic) {
        return switch (magic) {
            case MAGIC_V08 -> "v08";
            case MAGIC_84_UNCLEAN -> "v08 (unclean)";
            case MAGIC_V07 -> "v07 (DRBD 0.7)";
            case MAGIC_V09 -> "v09 (DRBD 9)";
            case 0 -> "none (zeroes)";
            case InternalMove.MAGIC -> "Tandem's record of an unfinished resize (the meta data is still at its old"
                    + " place; tandem up reads it there)";
            default -> String.format("unknown 0x%08x", magic);
        };
    }
}
