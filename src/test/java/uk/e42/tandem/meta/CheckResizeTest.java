package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FaultyBlockStore;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * DRBD's check-resize on real files: a backing device with internal meta data grows while the resource is
 * down; the last known size finds the meta data at the old end and {@link MetaData#moveToEnd} moves it.
 */
class CheckResizeTest {
    private static final MetaDisk INTERNAL = new MetaDisk.Internal();
    private static final long OLD = 64L << 20;
    private static final long GROWN = 96L << 20;
    private static final GenerationUuids UUIDS = new GenerationUuids(0x1234567890ABCDEEL, 0x42L << 1, 0, 0);

    @TempDir
    Path dir;

    private static void setLength(Path p, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    /** 64 MiB with internal meta data, an agreed size, UUIDs and two out-of-sync blocks, detached cleanly. */
    private Path volume() throws IOException {
        Path disk = dir.resolve("disk.img");
        setLength(disk, OLD);
        MetaDataTool.createMd(disk, INTERNAL, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, OLD)) {
            m.attach(ActivityLog.MIN_EXTENTS);
            m.setUuids(UUIDS);
            m.updateSuperblock(sb -> sb.withLaSizeSect(m.usableSectors()));
            m.markOutOfSync(0, 4096);
            m.markOutOfSync(m.usableSectors() * 512 - 1, 1);
            m.detach();
        }
        return disk;
    }

    private static Optional<LastKnownBackingDevice> known(long bytes) {
        return Optional.of(new LastKnownBackingDevice(bytes, "/dev/local/replicated0", 0));
    }

    @Test
    void theRecordIsDrbdUtilsFormat() throws IOException {
        LastKnownBackingDevice withUuid = new LastKnownBackingDevice(134217728, "/dev/local/replicated0",
                0x0123456789ABCDEFL);
        assertEquals("134217728\t/dev/local/replicated0\nuuid:\t0123456789ABCDEF\n", withUuid.encode());
        assertEquals("134217728\t/dev/vg/r0\n", new LastKnownBackingDevice(134217728, "/dev/vg/r0", 0).encode());
        assertEquals(withUuid, LastKnownBackingDevice.decode(withUuid.encode(), "f"));
        // What drbd-utils' lk_bdev_save writes (a device UUID with the top bit set included).
        assertEquals(new LastKnownBackingDevice(1073741824, "/dev/sdb1", 0xF0E1D2C3B4A59687L),
                LastKnownBackingDevice.decode("1073741824\t/dev/sdb1\nuuid:\tF0E1D2C3B4A59687\n", "f"));
        MetaDataException e = assertThrows(MetaDataException.class,
                () -> LastKnownBackingDevice.decode("garbage\n", "/var/lib/tandem/drbd-minor-0.lkbd"));
        assertTrue(e.getMessage().startsWith("/var/lib/tandem/drbd-minor-0.lkbd: "), e.getMessage());
        assertThrows(MetaDataException.class, () -> LastKnownBackingDevice.decode("4096\n", "f"));
        assertThrows(MetaDataException.class, () -> LastKnownBackingDevice.decode("4096\t/dev/x\nsize: 3\n", "f"));
    }

    @Test
    void theStoreKeepsOneRecordPerMinor() throws IOException {
        LastKnownBackingDevices store = new LastKnownBackingDevices(dir.resolve("state"));
        assertTrue(store.load(0).isEmpty(), "no directory yet, no record");
        store.save(0, new LastKnownBackingDevice(OLD, "/dev/a", 0));
        store.save(1, new LastKnownBackingDevice(GROWN, "/dev/b", 7));
        store.save(0, new LastKnownBackingDevice(GROWN, "/dev/a", 0));
        assertEquals(new LastKnownBackingDevice(GROWN, "/dev/a", 0), store.load(0).orElseThrow());
        assertEquals(new LastKnownBackingDevice(GROWN, "/dev/b", 7), store.load(1).orElseThrow());
        assertEquals(dir.resolve("state/drbd-minor-1.lkbd"), store.file(1));
        assertEquals(List.of("drbd-minor-0.lkbd", "drbd-minor-1.lkbd"),
                Files.list(dir.resolve("state")).map(p -> p.getFileName().toString()).sorted().toList());
        store.delete(1);
        assertTrue(store.load(1).isEmpty());
    }

    @Test
    void theLastKnownSizeFindsTheMetaDataAndTheMoveKeepsSizeBitsAndUuids() throws IOException {
        Path disk = volume();
        long sectors;
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, OLD)) {
            sectors = m.usableSectors();
        }
        setLength(disk, GROWN);
        try (FileBlockStore store = FileBlockStore.open(disk)) {
            MetaDataException lost = assertThrows(MetaDataException.class, () -> MetaData.open(store, INTERNAL, 0));
            assertTrue(lost.getMessage().contains("do not run create-md, run 'tandem check-resize'"), lost.getMessage());
        }
        MetaLayout old = MetaLayout.forCreate(INTERNAL, OLD, 1, 8);
        MetaLayout grown = MetaLayout.forCreate(INTERNAL, GROWN, 1, 8);
        try (FileBlockStore store = FileBlockStore.open(disk);
                MetaData m = MetaData.open(store, INTERNAL, 0, known(OLD))) {
            assertEquals(new MetaData.FormerPlace(OLD, false), m.formerPlace().orElseThrow());
            assertEquals(old, m.layout());
            MetaData.Resized moved = m.moveToEnd();
            assertTrue(moved.moved());
            assertEquals(sectors, moved.newSectors(), "the grown space is not used yet");
            assertEquals(0, moved.bitsSet());
            assertTrue(m.formerPlace().isEmpty());
            ByteBuffer superseded = ByteBuffer.allocate(Superblock.SIZE);
            store.read(old.mdOffset(), superseded);
            assertEquals(0, Superblock.decode(superseded.flip()).magic(), "the old superblock is wiped");
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 0)) {
            assertTrue(m.formerPlace().isEmpty(), "found at the new end without any record");
            assertEquals(grown, m.layout());
            assertEquals(sectors, m.usableSectors());
            assertEquals(sectors, m.superblock().laSizeSect());
            assertEquals(UUIDS, m.uuids());
            assertTrue(m.superblock().isClean());
            assertEquals(2, m.bitmap().cardinality());
            assertTrue(m.bitmap().get(0) && m.bitmap().get(sectors / 8 - 1));
        }
    }

    @Test
    void aCrashDuringTheMoveLeavesTheOldMetaDataFindableWithoutTheRecord() throws IOException {
        Path disk = volume();
        setLength(disk, GROWN);
        MetaLayout grown = MetaLayout.forCreate(INTERNAL, GROWN, 1, 8);
        try (FaultyBlockStore store = new FaultyBlockStore(FileBlockStore.open(disk));
                MetaData m = MetaData.open(store, INTERNAL, 0, known(OLD))) {
            // The power fails while the activity log is copied: the move record and the bitmap are out.
            store.failWrites(grown.alOffset(), grown.alBytes());
            assertThrows(IOException.class, m::moveToEnd);
        }
        // The last known size may be lost with the crash: the move record at the new end still finds it.
        try (FileBlockStore store = FileBlockStore.open(disk); MetaData m = MetaData.open(store, INTERNAL, 0)) {
            assertEquals(new MetaData.FormerPlace(OLD, true), m.formerPlace().orElseThrow());
            assertEquals(UUIDS, m.uuids());
            assertEquals(2, m.bitmap().cardinality());
            m.moveToEnd();
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 0)) {
            assertEquals(grown, m.layout());
            assertEquals(2, m.bitmap().cardinality());
        }
    }

    @Test
    void metaDataOfAnotherDeviceAtTheLastKnownPlaceIsNotTaken() throws IOException {
        Path disk = volume();
        setLength(disk, GROWN);
        try (FileBlockStore store = FileBlockStore.open(disk)) {
            MetaDataException e = assertThrows(MetaDataException.class, () -> MetaData.open(store, INTERNAL, 0,
                    Optional.of(new LastKnownBackingDevice(OLD, "/dev/other", 0x77))));
            assertTrue(e.getMessage().contains("Last known and found uuid differ"), e.getMessage());
            e = assertThrows(MetaDataException.class, () -> MetaData.open(store, INTERNAL, 0, known(OLD + 4096)));
            assertTrue(e.getMessage().contains("Nor was it found at its place for the last known size"),
                    e.getMessage());
            e = assertThrows(MetaDataException.class, () -> MetaData.open(store, INTERNAL, 0, known(GROWN * 2)));
            assertTrue(e.getMessage().contains("the device shrank to " + GROWN + " bytes since"), e.getMessage());
        }
    }

    @Test
    void aGrowthTooSmallForTheMoveIsRefusedAndTheOldMetaDataStays() throws IOException {
        Path disk = volume();
        setLength(disk, OLD + 8192);
        try (FileBlockStore store = FileBlockStore.open(disk);
                MetaData m = MetaData.open(store, INTERNAL, 0, known(OLD))) {
            MetaDataException e = assertThrows(MetaDataException.class, m::moveToEnd);
            assertTrue(e.getMessage().contains("grow the backing device by at least"), e.getMessage());
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(disk), INTERNAL, 0, known(OLD))) {
            assertEquals(UUIDS, m.uuids());
            assertEquals(2, m.bitmap().cardinality());
        }
    }

    @Test
    void checkResizeMovesOnceAndRecordsTheNewSize() throws IOException {
        Path disk = volume();
        LastKnownBackingDevices lastKnown = new LastKnownBackingDevices(dir.resolve("state"));
        assertEquals(List.of(), MetaDataTool.checkResize(disk, INTERNAL, lastKnown, 0), "nothing to move");
        assertEquals(OLD, lastKnown.load(0).orElseThrow().sizeBytes());
        setLength(disk, GROWN);
        List<String> moved = MetaDataTool.checkResize(disk, INTERNAL, lastKnown, 0);
        assertEquals("Internal drbd meta data successfully moved.", moved.getLast());
        assertTrue(moved.getFirst().startsWith("Moving the internal meta data to its proper location"),
                moved.getFirst());
        assertEquals(new LastKnownBackingDevice(GROWN, disk.toString(), 0), lastKnown.load(0).orElseThrow());
        assertEquals(List.of(), MetaDataTool.checkResize(disk, INTERNAL, lastKnown, 0), "moved already");
        assertEquals(UUIDS, MetaDataTool.readSuperblock(disk, INTERNAL).uuids());
    }

    @Test
    void checkResizeWithoutARecordFindsNothingAndWritesNothing() throws IOException {
        Path disk = volume();
        setLength(disk, GROWN);
        LastKnownBackingDevices lastKnown = new LastKnownBackingDevices(dir.resolve("state"));
        MetaDataException e = assertThrows(MetaDataException.class,
                () -> MetaDataTool.checkResize(disk, INTERNAL, lastKnown, 0));
        assertTrue(e.getMessage().contains("no v08 meta data"), e.getMessage());
        assertFalse(Files.exists(lastKnown.file(0)));
        setLength(disk, OLD);
        assertEquals(UUIDS, MetaDataTool.readSuperblock(disk, INTERNAL).uuids(), "the old meta data is untouched");
    }
}
