package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FaultyBlockStore;
import uk.e42.tandem.disk.FileBlockStore;

/** {@link MetaData#resize} on real files: internal meta data moving to the end of a grown file, external growing in place. */
class MetaDataResizeTest {
    private static final MetaDisk INTERNAL = new MetaDisk.Internal();
    private static final GenerationUuids UUIDS = new GenerationUuids(0x1234567890ABCDEEL, 0x42L << 1, 0, 0);

    @TempDir
    Path dir;

    private Path file(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        setLength(p, size);
        return p;
    }

    private static void setLength(Path p, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    /** Internal meta data on a 64 MiB file, attached, with UUIDs and a few out-of-sync blocks. */
    private Path internalVolume() throws IOException {
        Path disk = file("disk.img", 64L << 20);
        MetaDataTool.createMd(disk, INTERNAL, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 64L << 20)) {
            m.attach(ActivityLog.MIN_EXTENTS);
            m.setUuids(UUIDS);
            m.markOutOfSync(0, 4096);
            m.markOutOfSync(m.usableSectors() * 512 - 1, 1);
            m.detach();
        }
        return disk;
    }

    @Test
    void internalMetaDataMovesToTheNewEndAndKeepsItsBits() throws IOException {
        Path disk = internalVolume();
        long oldSectors;
        try (FileBlockStore store = FileBlockStore.open(disk); MetaData m = MetaData.open(store, INTERNAL, 64L << 20)) {
            oldSectors = m.usableSectors();
            m.attach(ActivityLog.MIN_EXTENTS);
            // The backing device grows while attached (lvextend, truncate), as before a resize.
            setLength(disk, 128L << 20);
            assertEquals(oldSectors, m.capacitySectors(64L << 20), "nothing changes before the size is read again");
            long capacity = m.capacitySectors(store.refreshSize());
            assertEquals(MetaLayout.forCreate(INTERNAL, 128L << 20, 1, 8).maxUsableSectors(), capacity);
            MetaData.Resized r = m.resize(128L << 20, capacity, true);
            assertTrue(r.moved());
            assertEquals((capacity - oldSectors) / 8, r.bitsSet());
            m.detach();
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 128L << 20)) {
            MetaLayout expected = MetaLayout.forCreate(INTERNAL, 128L << 20, 1, 8);
            assertEquals(expected, m.layout());
            assertEquals(expected.maxUsableSectors(), m.usableSectors());
            assertEquals(m.usableSectors(), m.superblock().laSizeSect());
            assertEquals(UUIDS, m.uuids());
            Bitmap b = m.bitmap();
            assertTrue(b.get(0) && !b.get(1) && b.get(oldSectors / 8 - 1), "the old bits are kept");
            assertEquals(2 + (m.usableSectors() - oldSectors) / 8, b.cardinality(), "the grown area is out of sync");
            assertTrue(m.formerPlace().isEmpty());
        }
    }

    @Test
    void aCrashBeforeTheNewSuperblockLeavesTheOldMetaDataValid() throws IOException {
        Path disk = internalVolume();
        MetaLayout target = MetaLayout.forCreate(INTERNAL, 128L << 20, 1, 8);
        long oldSectors;
        try (FaultyBlockStore store = new FaultyBlockStore(FileBlockStore.open(disk));
                MetaData m = MetaData.open(store, INTERNAL, 64L << 20)) {
            oldSectors = m.usableSectors();
            m.attach(ActivityLog.MIN_EXTENTS);
            setLength(disk, 128L << 20);
            store.refreshSize();
            // The power fails while the activity log is copied: the record and the new bitmap are out, nothing more.
            store.failWrites(target.alOffset(), target.alBytes());
            assertThrows(IOException.class, () -> m.resize(128L << 20, target.maxUsableSectors(), true));
        }
        try (FileBlockStore store = FileBlockStore.open(disk); MetaData m = MetaData.open(store, INTERNAL, 128L << 20)) {
            assertEquals(new MetaData.FormerPlace(64L << 20, true), m.formerPlace().orElseThrow());
            assertEquals(oldSectors, m.usableSectors());
            assertEquals(UUIDS, m.uuids());
            assertEquals(2, m.bitmap().cardinality());
            assertEquals(MetaLayout.forCreate(INTERNAL, 64L << 20, 1, 8), m.layout());
            // Attaching replays the old activity log where it is; the next resize finishes the move.
            m.attach(ActivityLog.MIN_EXTENTS);
            m.resize(128L << 20, target.maxUsableSectors(), true);
            m.detach();
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 128L << 20)) {
            assertTrue(m.formerPlace().isEmpty());
            assertEquals(target, m.layout());
            assertEquals(target.maxUsableSectors(), m.usableSectors());
        }
    }

    @Test
    void aGrowthTooSmallToMoveTheMetaDataClearOfTheOldIsRefusedAndChangesNothing() throws IOException {
        Path disk = internalVolume();
        try (FileBlockStore store = FileBlockStore.open(disk); MetaData m = MetaData.open(store, INTERNAL, 64L << 20)) {
            long oldSectors = m.usableSectors();
            setLength(disk, (64L << 20) + 8192);
            long grown = store.refreshSize();
            // The capacity a resize asks for first says so already, before any node has changed anything.
            MetaDataException e = assertThrows(MetaDataException.class, () -> m.capacitySectors(grown));
            assertTrue(e.getMessage().contains("grow the backing device by at least"), e.getMessage());
            e = assertThrows(MetaDataException.class, () -> m.resize(grown, oldSectors + 8, true));
            assertTrue(e.getMessage().contains("grow the backing device by at least"), e.getMessage());
        }
        setLength(disk, 64L << 20);
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 64L << 20)) {
            assertEquals(MetaLayout.forCreate(INTERNAL, 64L << 20, 1, 8), m.layout());
            assertEquals(2, m.bitmap().cardinality());
        }
    }

    @Test
    void externalMetaDataGrowsWithinItsBitmapArea() throws IOException {
        Path meta = file("meta.img", 1L << 20);
        MetaDisk md = new MetaDisk.External(meta);
        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 64L << 20)) {
            assertEquals(64L << 11, m.usableSectors());
            m.markOutOfSync(4096 * 7, 4096);
            long capacity = m.capacitySectors(256L << 20);
            assertEquals(256L << 11, capacity);
            MetaData.Resized r = m.resize(256L << 20, capacity, false);
            assertFalse(r.moved());
            assertEquals(0, r.bitsSet(), "--assume-clean");
            // The area of 1 MiB tracks about 31 GiB; more is refused with what fits.
            long max = m.capacitySectors(1L << 40);
            assertTrue(max < (1L << 40) >> 9);
            MetaDataException e = assertThrows(MetaDataException.class, () -> m.resize(1L << 40, max + 8, true));
            assertTrue(e.getMessage().contains("holds at most " + max + " sectors"), e.getMessage());
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 256L << 20)) {
            assertEquals(256L << 11, m.usableSectors());
            assertEquals(1, m.bitmap().cardinality());
            assertTrue(m.bitmap().get(7));
        }
    }

    @Test
    void shrinkingWithAnExplicitSizeDropsTheBitsBeyondTheEnd() throws IOException {
        Path disk = internalVolume();
        try (FileBlockStore store = FileBlockStore.open(disk); MetaData m = MetaData.open(store, INTERNAL, 64L << 20)) {
            MetaData.Resized r = m.resize(store.size(), 32L << 11, true);
            assertEquals(0, r.bitsSet());
            assertFalse(r.moved());
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 64L << 20)) {
            assertEquals(32L << 11, m.usableSectors());
            assertEquals(1, m.bitmap().cardinality(), "the bit of the last block is gone with it");
        }
    }

    @Test
    void aFailedResizeLeavesTheBitmapInMemoryAtTheOldSize() throws IOException {
        Path disk = internalVolume();
        MetaLayout layout = MetaLayout.forCreate(INTERNAL, 64L << 20, 1, 8);
        try (FaultyBlockStore store = new FaultyBlockStore(FileBlockStore.open(disk));
                MetaData m = MetaData.open(store, INTERNAL, 64L << 20)) {
            long oldSectors = m.usableSectors();
            long oldBits = m.bitmap().bits();
            m.attach(ActivityLog.MIN_EXTENTS);
            store.failWrites(layout.mdOffset(), Superblock.SIZE);
            assertThrows(IOException.class, () -> m.resize(store.size(), 32L << 11, true));
            assertEquals(oldSectors, m.usableSectors());
            assertEquals(oldBits, m.bitmap().bits(), "the bitmap in memory matches the superblock on disk");
            assertEquals(2, m.bitmap().cardinality());
            assertTrue(m.bitmap().get(oldBits - 1));
            // Marking the last block works as before: the bitmap was not cut to the refused size.
            m.markInSync((oldSectors << 9) - 4096, 4096);
            store.heal();
            m.detach();
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 64L << 20)) {
            assertEquals(1, m.bitmap().cardinality());
        }
    }
    
    @Test
    void aCrashInTheMiddleOfAShrinkLeavesEitherSizeWithItsBits() throws IOException {
        Path disk = internalVolume();
        MetaLayout layout = MetaLayout.forCreate(INTERNAL, 64L << 20, 1, 8);
        long oldSectors;
        // The power fails before the smaller size is durable: the old size, and the bit of its last block.
        try (FaultyBlockStore store = new FaultyBlockStore(FileBlockStore.open(disk));
                MetaData m = MetaData.open(store, INTERNAL, 64L << 20)) {
            oldSectors = m.usableSectors();
            m.attach(ActivityLog.MIN_EXTENTS);
            store.failWrites(layout.mdOffset(), Superblock.SIZE);
            assertThrows(IOException.class, () -> m.resize(store.size(), 32L << 11, true));
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 64L << 20)) {
            assertEquals(oldSectors, m.usableSectors());
            assertEquals(2, m.bitmap().cardinality(), "the block at the old end is still out of sync");
            assertTrue(m.bitmap().get(m.bitmap().bits() - 1));
        }
        // The power fails after it, while the bitmap area is rewritten: the new size; its stale bits are not read.
        try (FaultyBlockStore store = new FaultyBlockStore(FileBlockStore.open(disk));
                MetaData m = MetaData.open(store, INTERNAL, 64L << 20)) {
            m.attach(ActivityLog.MIN_EXTENTS);
            store.failWrites(layout.bmOffset(), layout.bitmapAreaBytes());
            assertThrows(IOException.class, () -> m.resize(store.size(), 32L << 11, true));
            assertEquals(32L << 11, m.usableSectors(), "the new size is durable, so it is the size");
            assertEquals(32L << 11 >> 3, m.bitmap().bits());
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 64L << 20)) {
            assertEquals(32L << 11, m.usableSectors());
            assertEquals(1, m.bitmap().cardinality());
            assertTrue(m.bitmap().get(0));
        }
    }
}
