package uk.e42.tandem.config;

/** Where a volume's DRBD meta data lives. */
public sealed interface MetaDisk {

    /** {@code meta-disk internal}: at the end of the backing device. */
    record Internal() implements MetaDisk {
    }

    /** {@code meta-disk PATH} (or {@code flexible-meta-disk PATH}): a whole device, sized to fit. */
    record Flexible(String path) implements MetaDisk {
    }

    /** {@code meta-disk PATH[INDEX]}: slot INDEX of 128 MiB on a shared meta data device. */
    record Indexed(String path, int index) implements MetaDisk {
    }
}
