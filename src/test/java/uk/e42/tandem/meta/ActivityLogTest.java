package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FileBlockStore;

class ActivityLogTest {
    @TempDir
    Path dir;

    @Test
    void initializedBlockHasDrbdmetasChecksum() {
        ByteBuffer b = AlTransaction.initialized().encode();
        assertEquals(0x69cb65a2, b.getInt(0));
        assertEquals(0x709cc651, b.getInt(8), "crc32c seed 0, no inversion, as drbdmeta writes it");
        assertEquals(AlTransaction.TYPE_INITIALIZED, AlTransaction.decode(b).type());
    }

    @Test
    void transactionRoundTripAndTornBlocksAreInvalid() {
        ActivityLog al = new ActivityLog(100, 41);
        ActivityLog.Begin begin = al.begin(7, 8);
        assertNotNull(begin.transaction());
        ByteBuffer b = begin.transaction().encode();
        assertEquals(begin.transaction(), AlTransaction.decode(b));
        ByteBuffer torn = ByteBuffer.allocate(4096).put(b.duplicate().limit(512)).rewind();
        assertNull(AlTransaction.decode(torn), "a block torn after 512 bytes fails its checksum");
    }

    @Test
    void hotExtentsNeedNoTransactionColdOnesDo() {
        ActivityLog al = new ActivityLog(67, 0);
        ActivityLog.Begin first = al.begin(3, 3);
        assertEquals(List.of(), first.evicted());
        al.commit(first.transaction(), 3, 3);
        al.complete(3, 3);
        ActivityLog.Begin again = al.begin(3, 3);
        assertNull(again.transaction());
        al.complete(3, 3);
        assertEquals(Set.of(3), al.hotExtents());
        assertEquals(1, al.nextTrNumber());
    }

    @Test
    void leastRecentlyUsedIdleExtentIsEvictedAndBusyExtentsAreNot() {
        ActivityLog al = new ActivityLog(67, 0);
        for (int e = 0; e < 67; e++) {
            ActivityLog.Begin b = al.begin(e, e);
            al.commit(b.transaction(), e, e);
            if (e != 0) {
                al.complete(e, e);
            }
        }
        // Extent 0 still has a write in flight: extent 1 is the coldest idle one.
        ActivityLog.Begin b = al.begin(100, 100);
        assertEquals(List.of(1), b.evicted());
        al.commit(b.transaction(), 100, 100);
        assertFalse(al.isHot(1));
        assertTrue(al.isHot(0));
        for (int e = 2; e < 67; e++) {
            al.begin(e, e);
        }
        assertTrue(al.begin(200, 200).busy(), "every slot has a write in flight");
        assertThrows(IllegalArgumentException.class, () -> al.begin(0, 64));
    }

    @Test
    void ringBlocksWithStripes() {
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 0), IntStream.range(0, 9)
                .mapToObj(t -> ActivityLog.ringBlock(t, 1, 8)).toList());
        assertEquals(List.of(0, 4, 1, 5, 2, 6, 3, 7), IntStream.range(0, 8)
                .mapToObj(t -> ActivityLog.ringBlock(t, 2, 4)).toList());
    }

    private MetaData fresh(Path meta, MetaDisk md) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.setLength(128L << 20);
        }
        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        return MetaData.open(FileBlockStore.open(meta), md, 8L << 30);
    }

    /**
     * A Primary writes to many extents (more than al-extents, so extents are evicted and the ring wraps many
     * times), then crashes. Replay on the next attach marks exactly the extents that were hot.
     */
    @Test
    void replayAfterACrashMarksExactlyTheHotExtents() throws Exception {
        Path meta = dir.resolve("meta.img");
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        Set<Integer> hotAtCrash;
        Set<Long> persistedBits = new HashSet<>();
        try (MetaData m = fresh(meta, md)) {
            m.attach(67);
            m.updateSuperblock(sb -> sb.withFlag(MdFlags.PRIMARY_IND, true));
            Random r = new Random(7);
            for (int i = 0; i < 2000; i++) {
                long offset = (long) r.nextInt(1024) << ActivityLog.EXTENT_SHIFT;
                m.alBeginIo(offset, 4096);
                m.alCompleteIo(offset, 4096);
            }
            hotAtCrash = m.hotExtents();
            assertEquals(67, hotAtCrash.size());
            // Writes while disconnected: bits of a cold-then-evicted extent must survive through its bitmap page.
            long lone = 1500L << ActivityLog.EXTENT_SHIFT;
            m.alBeginIo(lone, 4096);
            m.markOutOfSync(lone, 4096);
            m.alCompleteIo(lone, 4096);
            persistedBits.add(lone >>> 12);
            for (int i = 0; i < 80; i++) {
                long offset = (long) (1600 + i) << ActivityLog.EXTENT_SHIFT;
                m.alBeginIo(offset, 4096);
                m.alCompleteIo(offset, 4096);
            }
            assertFalse(m.hotExtents().contains(1500));
            hotAtCrash = m.hotExtents();
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 8L << 30)) {
            assertFalse(m.superblock().isClean());
            MetaData.AttachReport report = m.attach(67);
            assertTrue(report.replayedActivityLog());
            assertTrue(report.crashedPrimary());
            assertEquals(hotAtCrash, report.replayedExtents());
            Set<Long> expected = new TreeSet<>(persistedBits);
            long bits = 0;
            for (int e : hotAtCrash) {
                bits += ActivityLog.BITS_PER_EXTENT;
            }
            assertEquals(bits + persistedBits.size(), m.bitmap().cardinality());
            for (int e : hotAtCrash) {
                assertTrue(m.bitmap().get((long) e * ActivityLog.BITS_PER_EXTENT));
                assertTrue(m.bitmap().get((long) e * ActivityLog.BITS_PER_EXTENT + 1023));
            }
            for (long bit : expected) {
                assertTrue(m.bitmap().get(bit), "bit " + bit + " of an evicted extent survived");
            }
            m.detach();
            assertTrue(m.superblock().isClean());
            assertTrue(m.superblock().has(MdFlags.CRASHED_PRIMARY));
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 8L << 30)) {
            MetaData.AttachReport clean = m.attach(67);
            assertFalse(clean.replayedActivityLog(), "a clean detach needs no replay");
        }
    }

    @Test
    void secondaryCrashReplaysNothingAndUnreadableRingRefusesAttachOfACrashedPrimary() throws Exception {
        Path meta = dir.resolve("meta.img");
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        try (MetaData m = fresh(meta, md)) {
            m.attach(67);
            m.alBeginIo(0, 4096);
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 8L << 30)) {
            assertFalse(m.attach(67).replayedActivityLog(), "not Primary: nothing to apply");
            m.updateSuperblock(sb -> sb.withFlag(MdFlags.PRIMARY_IND, true));
        }
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.seek(4096);
            f.write(new byte[32768]);
        }
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 8L << 30)) {
            MetaDataException e = assertThrows(MetaDataException.class, () -> m.attach(67));
            assertTrue(e.getMessage().contains("No usable activity log found"), e.getMessage());
        }
    }

    @Test
    void replayIsWrapSafeAcrossTransactionNumbers() {
        List<AlTransaction> ring = new ArrayList<>();
        ActivityLog al = new ActivityLog(67, Integer.MAX_VALUE - 3);
        AlTransaction[] written = new AlTransaction[8];
        for (int i = 0; i < 12; i++) {
            ActivityLog.Begin b = al.begin(i, i);
            written[ActivityLog.ringBlock(b.transaction().trNumber() & 0xffffffffL, 1, 8)] = b.transaction();
            al.commit(b.transaction(), i, i);
            al.complete(i, i);
        }
        for (int t = 0; t < 8; t++) {
            ring.add(written[ActivityLog.ringBlock(t, 1, 8)]);
        }
        ActivityLog.Replay replay = ActivityLog.replay(ring);
        assertTrue(replay.usable());
        assertEquals(al.hotExtents(), replay.hotExtents());
    }
}
