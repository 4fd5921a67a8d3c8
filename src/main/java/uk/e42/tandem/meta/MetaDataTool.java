package uk.e42.tandem.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * The local meta data verbs, no daemon needed: {@code create-md}, {@code dump-md}, {@code get-gi},
 * {@code show-gi}, {@code dstate}, and {@link #open} for the daemon's attach. Every call takes the
 * backing disk and the {@link MetaDisk} explicitly; the CLI finds them in the resource's volume
 * ({@code disk}, {@code meta-disk}).
 *
 * <p>{@code backingDisk} may be {@code null} for external meta data when only the meta data is read.
 */
public final class MetaDataTool {
    private MetaDataTool() {
    }

    /** Asked before anything existing is overwritten; {@code --force} answers yes. */
    @FunctionalInterface
    public interface Confirmation {
        Confirmation FORCE = question -> true;
        Confirmation REFUSE = question -> false;

        /** @param question what was found and what would be lost, ending in a question */
        boolean confirm(String question);
    }

    /** create-md's options (drbdmeta's {@code --al-stripes}, {@code --al-stripe-size-kB}, {@code --peer-max-bio-size}). */
    public record CreateOptions(int alStripes, int alStripeSize4k, int peerMaxBioSize) {
        public static final CreateOptions DEFAULTS = new CreateOptions(1, 8, 0);

        public CreateOptions {
            if (alStripes < 1 || alStripeSize4k < 1 || (long) alStripes * alStripeSize4k < 8
                    || (long) alStripes * alStripeSize4k > 8192) {
                throw new IllegalArgumentException("invalid al-stripe settings " + alStripes + " x "
                        + alStripeSize4k * 4 + " KiB: the ring must hold 32 KiB..32 MiB");
            }
            if (peerMaxBioSize < 0 || peerMaxBioSize > 1 << 20) {
                throw new IllegalArgumentException("peer-max-bio-size " + peerMaxBioSize + " out of range (0...1M)");
            }
        }
    }

    /** What create-md wrote, with drbdmeta's progress lines for the CLI to print. */
    public record Created(Superblock superblock, MetaLayout layout, List<String> messages) {
    }

    /**
     * Writes fresh v08 meta data: initialised activity log, zeroed bitmap, then the superblock (current UUID
     * 4, AL_CLEAN). Existing meta data, or data where the meta data would go, is described and only
     * overwritten if {@code confirmation} says yes.
     *
     * @throws MetaDataException when refused, or when the meta device cannot hold the layout; nothing written
     */
    public static Created createMd(Path backingDisk, MetaDisk metaDisk, CreateOptions options,
            Confirmation confirmation) throws IOException {
        Path device = metaDisk.device(requireBacking(backingDisk, metaDisk));
        try (FileBlockStore store = FileBlockStore.open(device)) {
            MetaLayout layout = MetaLayout.forCreate(metaDisk, store.size(), options.alStripes(),
                    options.alStripeSize4k());
            String found = existing(store, layout);
            if (found != null) {
                String question = found + "\nDo you really want to overwrite the existing meta-data?";
                if (!confirmation.confirm(question)) {
                    throw new MetaDataException(found + "\nOperation refused; nothing was written. Use --force to"
                            + " overwrite it.");
                }
            }
            List<String> messages = new ArrayList<>();
            messages.add("initializing activity log");
            ByteBuffer initialized = AlTransaction.initialized().encode();
            for (int b = 0; b < layout.alBlocks(); b++) {
                store.write(layout.alOffset() + (long) b * AlTransaction.BYTES, initialized.duplicate());
            }
            long bitmapBytes = bitmapBytesToClear(layout, backingDisk, metaDisk, store);
            messages.add("initializing bitmap (" + (bitmapBytes >> 10) + " KB) to all zero");
            store.writeZeroes(layout.bmOffset(), bitmapBytes);
            // Superblock last: until it is on disk, nothing claims the zeroed areas.
            store.flush();
            messages.add("Writing meta data...");
            Superblock sb = new Superblock(0, GenerationUuids.justCreated(), 0, MdFlags.AL_CLEAN, Superblock.MAGIC_V08,
                    layout.mdSizeSect(), layout.alOffsetSect(), Superblock.CREATE_MD_AL_EXTENTS, layout.bmOffsetSect(),
                    Superblock.BM_BYTES_PER_BIT, options.peerMaxBioSize(), options.alStripes(),
                    options.alStripeSize4k());
            store.write(layout.mdOffset(), sb.encode());
            store.flush();
            messages.add("New drbd meta data block successfully created.");
            return new Created(sb, layout, List.copyOf(messages));
        }
    }

    private static long bitmapBytesToClear(MetaLayout layout, Path backingDisk, MetaDisk metaDisk, BlockStore store)
            throws IOException {
        long area = layout.bitmapAreaBytes();
        if (metaDisk instanceof MetaDisk.Internal) {
            return Math.min(area, MetaLayout.bitmapBytes(store.size() >> 9));
        }
        if (backingDisk == null || !Files.exists(backingDisk)) {
            return area;
        }
        try (FileBlockStore backing = FileBlockStore.open(backingDisk, FileBlockStore.Option.READ_ONLY)) {
            return Math.min(area, MetaLayout.bitmapBytes(layout.usableSectors(backing.size())));
        }
    }

    /** What lies where the new meta data would go, in words, or null if it is empty. */
    private static String existing(BlockStore store, MetaLayout layout) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Superblock.SIZE);
        store.read(layout.mdOffset(), b);
        Superblock sb = Superblock.decode(b.flip());
        String where = store.describe() + " (meta-disk " + layout.metaDisk() + ") at byte offset " + layout.mdOffset();
        if (sb.isV08Magic()) {
            String state = sb.isClean() ? "clean" : "unclean, the activity log was not applied";
            return "Valid v08 meta data found on " + where + " (" + state + "): UUIDs " + sb.uuids() + ", "
                    + MdFlags.summary(sb.flags()) + ", la-size-sect " + sb.laSizeSect() + ".";
        }
        if (sb.magic() == Superblock.MAGIC_V07 || sb.magic() == Superblock.MAGIC_V09) {
            return "Meta data of another format found on " + where + ": " + Superblock.magicName(sb.magic())
                    + ". Tandem writes v08; converting is not supported.";
        }
        if (!allZero(b.rewind())) {
            return "The 4 KiB where the superblock would go on " + where
                    + " are not empty: they do not hold DRBD meta data, but some other data.";
        }
        if (layout.internal()) {
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(MetaLayout.MIN_DEVICE_BYTES, store.size()));
            store.read(0, head);
            if (!allZero(head.flip())) {
                return "The backing disk " + store.describe() + " holds data (its first 68 KiB are not empty)."
                        + " Internal meta data takes its last " + (store.size() - layout.bmOffset()) / 1024
                        + " KiB, which might destroy existing data.";
            }
        }
        return null;
    }

    private static boolean allZero(ByteBuffer b) {
        while (b.remaining() >= 8) {
            if (b.getLong() != 0) {
                return false;
            }
        }
        while (b.hasRemaining()) {
            if (b.get() != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Opens the meta data for the daemon: backing disk size checked against the recorded size, bitmap
     * loaded. Call {@link MetaData#attach} to start I/O.
     */
    public static MetaData open(Path backingDisk, MetaDisk metaDisk) throws IOException {
        Path backing = requireBacking(backingDisk, metaDisk);
        long backingBytes;
        if (metaDisk instanceof MetaDisk.Internal) {
            backingBytes = 0;
        } else {
            try (FileBlockStore b = FileBlockStore.open(backing, FileBlockStore.Option.READ_ONLY)) {
                backingBytes = b.size();
            }
        }
        FileBlockStore store = FileBlockStore.open(metaDisk.device(backing));
        try {
            return MetaData.open(store, metaDisk, backingBytes);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * drbdmeta's check-resize, for a detached device: internal meta data found at its place for the backing
     * device's last known size (or where an interrupted resize left it) moves to the end of the grown device
     * ({@link MetaData#moveToEnd}); then the device's size is recorded. Meta data already at the end only
     * updates the record; external meta data, which does not move, has none.
     *
     * @return drbdmeta's lines for what was moved (none when nothing was)
     * @throws MetaDataException no valid meta data at the end nor at the last known place
     */
    public static List<String> checkResize(Path backingDisk, MetaDisk metaDisk, LastKnownBackingDevices lastKnown,
            int minor) throws IOException {
        if (!(metaDisk instanceof MetaDisk.Internal)) {
            readSuperblock(backingDisk, metaDisk);
            lastKnown.delete(minor);
            return List.of();
        }
        List<String> messages = new ArrayList<>();
        try (FileBlockStore store = FileBlockStore.open(requireBacking(backingDisk, metaDisk));
                MetaData md = MetaData.open(store, metaDisk, 0, lastKnown.load(minor))) {
            if (md.formerPlace().isPresent()) {
                messages.add("Moving the internal meta data to its proper location (from its place for "
                        + md.formerPlace().get().deviceBytes() + " bytes to the end of " + backingDisk + ")");
                md.moveToEnd();
                messages.add("Internal drbd meta data successfully moved.");
            }
            lastKnown.save(minor, new LastKnownBackingDevice(md.layout().metaDeviceBytes(), backingDisk.toString(),
                    md.superblock().deviceUuid()));
        }
        return List.copyOf(messages);
    }

    /** The superblock, checked, without touching anything. */
    public static Superblock readSuperblock(Path backingDisk, MetaDisk metaDisk) throws IOException {
        try (FileBlockStore store = openReadOnly(backingDisk, metaDisk)) {
            Superblock sb = MetaData.readSuperblock(store, metaDisk);
            try {
                MetaLayout.of(sb, metaDisk, store.size());
            } catch (MetaDataException e) {
                throw new MetaDataException("No valid meta data found on " + store.describe() + ": " + e.getMessage(),
                        e);
            }
            return sb;
        }
    }

    /** dump-md, exactly as drbdmeta prints it (see {@link MetaDataDump}). */
    public static String dumpMd(Path backingDisk, MetaDisk metaDisk, MetaDataDump.Header header, boolean force)
            throws IOException {
        try (FileBlockStore store = openReadOnly(backingDisk, metaDisk)) {
            return MetaDataDump.dumpMd(store, metaDisk, header, force);
        }
    }

    public static String getGi(Path backingDisk, MetaDisk metaDisk) throws IOException {
        return MetaDataDump.getGi(readSuperblock(backingDisk, metaDisk));
    }

    public static String showGi(Path backingDisk, MetaDisk metaDisk) throws IOException {
        return MetaDataDump.showGi(readSuperblock(backingDisk, metaDisk));
    }

    /** drbdmeta dstate: Inconsistent, Outdated, Consistent or UpToDate. */
    public static String dstate(Path backingDisk, MetaDisk metaDisk) throws IOException {
        return MdFlags.dstate(readSuperblock(backingDisk, metaDisk).flags());
    }

    private static FileBlockStore openReadOnly(Path backingDisk, MetaDisk metaDisk) throws IOException {
        return FileBlockStore.open(metaDisk.device(requireBacking(backingDisk, metaDisk)),
                FileBlockStore.Option.READ_ONLY);
    }

    private static Path requireBacking(Path backingDisk, MetaDisk metaDisk) {
        if (backingDisk == null && metaDisk instanceof MetaDisk.Internal) {
            throw new IllegalArgumentException("internal meta data lives on the backing disk: name the disk");
        }
        return backingDisk;
    }
}
