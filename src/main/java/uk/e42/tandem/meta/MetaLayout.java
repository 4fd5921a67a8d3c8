package uk.e42.tandem.meta;

import java.nio.file.Path;

/**
 * Where superblock, activity log and bitmap sit on the meta data device, in bytes, the way drbdmeta
 * and the 8.4 kernel place them:
 * <pre>
 * external, indexed slot or whole device:  [ superblock 4K ][ activity log ][ bitmap ......... ]
 * internal, at the end of the backing disk: [ data ........ ][ bitmap ][ activity log ][ superblock 4K ]
 * </pre>
 * Signed sector offsets are relative to the superblock, as stored in it.
 *
 * @param metaDeviceBytes size of the device the meta data is on (the backing disk for internal)
 * @param mdOffset byte offset of the superblock on that device
 */
public record MetaLayout(MetaDisk metaDisk, long metaDeviceBytes, long mdOffset, int mdSizeSect, int alOffsetSect,
        int bmOffsetSect, int alStripes, int alStripeSize4k) {
    /** drbdmeta refuses smaller devices (it reads this much looking for file systems). */
    public static final long MIN_DEVICE_BYTES = 68 * 1024;
    static final int MD_AL_OFFSET_SECT = 8;
    static final int MD_RESERVED_SECT = (int) (MetaDisk.INDEX_SLOT_BYTES >> 9);
    /** drbdmeta's limit on a flexible bitmap (2^35 bytes): 1 PiB of data. */
    static final long MAX_FLEX_BITMAP_BYTES = 1L << 35;

    public long alOffset() {
        return mdOffset + alOffsetSect * 512L;
    }

    public long bmOffset() {
        return mdOffset + bmOffsetSect * 512L;
    }

    public int alBlocks() {
        return alStripes * alStripeSize4k;
    }

    public long alBytes() {
        return alBlocks() * 4096L;
    }

    public boolean internal() {
        return metaDisk instanceof MetaDisk.Internal;
    }

    /** Bytes reserved for the bitmap. */
    public long bitmapAreaBytes() {
        return internal() ? (alOffsetSect - (long) bmOffsetSect) * 512 : (mdSizeSect - (long) bmOffsetSect) * 512;
    }

    /**
     * drbdmeta's {@code max_usable_sect}: internal meta data ends the data area at its first byte;
     * external meta data limits the data to what its bitmap area can track (4 KiB per bit, counted
     * in whole 64-bit words).
     */
    public long maxUsableSectors() {
        if (internal()) {
            return Math.min(mdOffset, Math.min(alOffset(), bmOffset())) >> 9;
        }
        return (mdSizeSect - (long) bmOffsetSect) * 512 * 8 / 64 * 64 * Superblock.BM_BYTES_PER_BIT / 512;
    }

    /** The data size the replicated volume can have on a backing disk of {@code backingBytes}, in sectors. */
    public long usableSectors(long backingBytes) {
        return internal() ? maxUsableSectors() : Math.min(backingBytes >> 9, maxUsableSectors());
    }

    /**
     * drbdmeta's {@code bm_bytes}: one bit per 4 KiB (rounded up), bits rounded up to 64-bit words,
     * bytes rounded up to whole 4 KiB pages.
     */
    public static long bitmapBytes(long sectors) {
        long bits = (sectors + 7) / 8;
        bits = (bits + 63) & ~63L;
        return (bits / 8 + 4095) & ~4095L;
    }

    /** Bitmap bits for {@code sectors} of data: one per started 4 KiB block. */
    public static long bitmapBits(long sectors) {
        return (sectors + 7) / 8;
    }

    /** The superblock's byte offset on a meta device of {@code deviceBytes}; fails if it cannot hold it. */
    public static long superblockOffset(MetaDisk metaDisk, long deviceBytes) throws MetaDataException {
        String where = metaDisk.device(Path.of("the backing disk")) + " (" + deviceBytes + " bytes)";
        if (deviceBytes < MIN_DEVICE_BYTES) {
            throw new MetaDataException("meta-disk " + where + " is too small: DRBD needs at least "
                    + MIN_DEVICE_BYTES + " bytes");
        }
        return switch (metaDisk) {
            case MetaDisk.Internal i -> (deviceBytes - 4096) & ~4095L;
            case MetaDisk.External e -> 0;
            case MetaDisk.Indexed x -> {
                long slotEnd = (x.index() + 1L) * MetaDisk.INDEX_SLOT_BYTES;
                if (slotEnd > deviceBytes) {
                    throw new MetaDataException("meta-disk " + x + ": index " + x.index()
                            + " lies beyond the meta device; slot " + x.index() + " needs " + slotEnd
                            + " bytes (128 MiB per index) but " + x.device() + " has " + deviceBytes
                            + " bytes. Use a lower index or a bigger meta device.");
                }
                yield x.index() * MetaDisk.INDEX_SLOT_BYTES;
            }
        };
    }

    /** The layout create-md writes on a device of {@code deviceBytes} (for internal: the backing disk). */
    public static MetaLayout forCreate(MetaDisk metaDisk, long deviceBytes, int alStripes, int alStripeSize4k)
            throws MetaDataException {
        long mdOffset = superblockOffset(metaDisk, deviceBytes);
        int alSect = alStripes * alStripeSize4k * 8;
        MetaLayout layout = switch (metaDisk) {
            case MetaDisk.Indexed x -> new MetaLayout(metaDisk, deviceBytes, mdOffset, MD_RESERVED_SECT,
                    MD_AL_OFFSET_SECT, MD_AL_OFFSET_SECT + alSect, alStripes, alStripeSize4k);
            case MetaDisk.External e -> new MetaLayout(metaDisk, deviceBytes, mdOffset,
                    (int) Math.min(Integer.MAX_VALUE, deviceBytes >> 9), MD_AL_OFFSET_SECT,
                    MD_AL_OFFSET_SECT + alSect, alStripes, alStripeSize4k);
            case MetaDisk.Internal i -> {
                long bmSect = bitmapBytes(deviceBytes >> 9) >> 9;
                bmSect = (bmSect + 7) & ~7L;
                if (bmSect * 512 > MAX_FLEX_BITMAP_BYTES) {
                    throw new MetaDataException("internal meta data: the bitmap for " + deviceBytes
                            + " bytes would be too large");
                }
                int mdSize = (int) (bmSect + MD_AL_OFFSET_SECT + alSect);
                yield new MetaLayout(metaDisk, deviceBytes, mdOffset, mdSize, -alSect, -mdSize + MD_AL_OFFSET_SECT,
                        alStripes, alStripeSize4k);
            }
        };
        if (layout.bmOffset() < 0 || layout.bitmapAreaBytes() <= 0
                || layout.bmOffset() + layout.bitmapAreaBytes() > deviceBytes) {
            throw new MetaDataException("meta-disk " + metaDisk + " on a device of " + deviceBytes
                    + " bytes has no room for the activity log and bitmap");
        }
        return layout;
    }

    /**
     * Checks a superblock found at {@code metaDisk}'s place the way drbdmeta's {@code is_valid_md} and the
     * kernel's attach do, and returns its layout.
     */
    public static MetaLayout of(Superblock sb, MetaDisk metaDisk, long deviceBytes) throws MetaDataException {
        long mdOffset = superblockOffset(metaDisk, deviceBytes);
        String where = "meta-disk " + metaDisk + " at byte " + mdOffset;
        if (!sb.isV08Magic()) {
            throw new MetaDataException("no v08 meta data at " + where + ": found magic "
                    + Superblock.magicName(sb.magic()) + " (expected 0x8374026b). " + (metaDisk instanceof MetaDisk.Internal
                    ? "If the backing device grew while the resource was down, the meta data is at its old end: do"
                    + " not run create-md, run 'tandem check-resize' (README, Troubleshooting). Otherwise run"
                    + " 'tandem create-md' for new meta data." : "Run 'tandem create-md' for new meta data, or check"
                    + " the meta-disk setting."));
        }
        if (sb.bmBytesPerBit() != Superblock.BM_BYTES_PER_BIT) {
            throw new MetaDataException(where + ": bm_bytes_per_bit is " + sb.bmBytesPerBit()
                    + ", only 4096 is supported");
        }
        if (sb.alStripes() <= 0 || sb.alStripeSize4k() <= 0 || (long) sb.alStripes() * sb.alStripeSize4k() < 8
                || (long) sb.alStripes() * sb.alStripeSize4k() > 8192) {
            throw new MetaDataException(where + ": activity log stripes " + sb.alStripes() + " x "
                    + sb.alStripeSize4k() + " x 4 KiB are out of range");
        }
        int alSect = sb.alBlocks() * 8;
        MetaLayout found = new MetaLayout(metaDisk, deviceBytes, mdOffset, sb.mdSizeSect(), sb.alOffsetSect(),
                sb.bmOffsetSect(), sb.alStripes(), sb.alStripeSize4k());
        if (metaDisk instanceof MetaDisk.Internal) {
            MetaLayout expected = forCreate(metaDisk, deviceBytes, sb.alStripes(), sb.alStripeSize4k());
            if (sb.alOffsetSect() != -alSect || sb.mdSizeSect() != expected.mdSizeSect()
                    || sb.bmOffsetSect() != expected.bmOffsetSect()) {
                throw new MetaDataException(where + ": internal meta data does not fit this device (md_size_sect "
                        + sb.mdSizeSect() + ", bm_offset " + sb.bmOffsetSect() + "; expected "
                        + expected.mdSizeSect() + ", " + expected.bmOffsetSect()
                        + "). Was the backing device resized? Restore its size, or dump-md and create-md anew.");
            }
        } else {
            if (sb.alOffsetSect() != MD_AL_OFFSET_SECT || sb.bmOffsetSect() != MD_AL_OFFSET_SECT + alSect) {
                throw new MetaDataException(where + ": al_offset " + sb.alOffsetSect() + " / bm_offset "
                        + sb.bmOffsetSect() + " are not the external layout (8 / " + (MD_AL_OFFSET_SECT + alSect)
                        + ")");
            }
            if (metaDisk instanceof MetaDisk.Indexed && sb.mdSizeSect() != MD_RESERVED_SECT) {
                throw new MetaDataException(where + ": md_size_sect is " + sb.mdSizeSect() + ", an indexed slot has "
                        + MD_RESERVED_SECT);
            }
            if (sb.mdSizeSect() <= sb.bmOffsetSect() || mdOffset + sb.mdSizeSect() * 512L > deviceBytes) {
                throw new MetaDataException(where + ": md_size_sect " + sb.mdSizeSect()
                        + " does not fit the meta device of " + deviceBytes + " bytes (truncated meta-disk?)");
            }
        }
        return found;
    }
}
