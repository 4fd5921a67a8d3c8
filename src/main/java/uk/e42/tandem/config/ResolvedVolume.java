package uk.e42.tandem.config;

/**
 * A volume as this node attaches it.
 *
 * @param device the block device name ({@code /dev/drbdN}); Tandem exports it under this name
 * @param disk   the backing device, or {@code none} for a diskless node
 */
public record ResolvedVolume(int number, String device, int minor, String disk, MetaDisk metaDisk,
        DiskConfig diskOptions) {
}
