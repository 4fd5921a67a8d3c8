package uk.e42.tandem.nbd;

/**
 * The block size constraints an export advertises with NBD_INFO_BLOCK_SIZE (proto.md "Block size
 * constraints"). Requests that break them are refused with EINVAL.
 */
public record BlockSizes(int minimum, int preferred, int maximum) {
    /** What the Linux kernel and libnbd clients expect without asking: 512-byte sectors, 4 KiB pages. */
    public static final int SECTOR = 512;
    public static final int PAGE = 4096;
    /** 32 MiB: the largest request every client must accept; also bounds one request's buffer. */
    public static final int MAX_PAYLOAD = 1 << 25;

    public BlockSizes {
        if (Integer.bitCount(minimum) != 1 || minimum > 65536) {
            throw new IllegalArgumentException("minimum block size " + minimum + " must be a power of 2 up to 65536");
        }
        if (Integer.bitCount(preferred) != 1 || preferred < Math.max(minimum, SECTOR)) {
            throw new IllegalArgumentException("preferred block size " + preferred
                    + " must be a power of 2 of at least max(minimum, 512)");
        }
        if (maximum % minimum != 0 || maximum < preferred || maximum > MAX_PAYLOAD) {
            throw new IllegalArgumentException("maximum block size " + maximum + " must be a multiple of the minimum "
                    + minimum + ", at least the preferred " + preferred + " and at most " + MAX_PAYLOAD);
        }
    }

    /**
     * Sector-granular like a block device when the size allows it; a size that is not a whole number of
     * sectors gets byte granularity, or its tail would be unreachable.
     */
    public static BlockSizes forSize(long size) {
        return new BlockSizes(size % SECTOR == 0 ? SECTOR : 1, PAGE, MAX_PAYLOAD);
    }
}
