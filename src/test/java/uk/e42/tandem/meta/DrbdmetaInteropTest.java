package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.disk.LoopDevice;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

/**
 * Both directions with Debian's drbdmeta (drbd-utils, v08): what Tandem writes, drbdmeta reads the same,
 * and the other way round. drbdmeta wants a DRBD minor (it only takes a lock named after it) and, on a
 * plain file, {@code --force} ("not a block device"); on a loop device it runs without --force.
 */
@E2e(tools = {"drbdmeta"})
class DrbdmetaInteropTest {
    @TempDir
    Path dir;

    /** drbdmeta locks per minor: each test uses its own, away from real devices. */
    private static int nextMinor = 230 + new Random().nextInt(10) * 2;

    private final int minor = nextMinor++;

    private Path file(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    private Tools.Result drbdmeta(boolean force, Path device, String index, String... command) {
        List<String> args = new ArrayList<>(List.of(Tools.path("drbdmeta")));
        if (force) {
            args.add("--force");
        }
        args.addAll(List.of(Integer.toString(minor), "v08", device.toString(), index));
        args.addAll(Arrays.asList(command));
        return Tools.run(args, null).orFail();
    }

    /** A dump without its four header lines (date, host and command differ). */
    private static String body(String dump) {
        String[] lines = dump.split("\n", -1);
        assertEquals("# DRBD meta data dump", lines[0]);
        return String.join("\n", Arrays.copyOfRange(lines, 4, lines.length));
    }

    private String tandemDump(Path backing, MetaDisk md) throws IOException {
        return body(MetaDataTool.dumpMd(backing, md, MetaDataDump.Header.now("tandem dump-md r0"), false));
    }

    private void assertSameView(Path backing, MetaDisk md, boolean force) throws IOException {
        Path device = md.device(backing);
        String index = md.drbdmetaIndex();
        assertEquals(body(drbdmeta(force, device, index, "dump-md").stdout()), tandemDump(backing, md));
        assertEquals(drbdmeta(force, device, index, "get-gi").stdout(), MetaDataTool.getGi(backing, md));
        assertEquals(drbdmeta(force, device, index, "show-gi").stdout(), MetaDataTool.showGi(backing, md));
    }

    @Test
    void tandemCreateMdIsWhatDrbdmetaReads() throws IOException {
        Path meta = file("meta.img", 256L << 20);
        for (MetaDisk md : List.of(new MetaDisk.Indexed(meta, 1), new MetaDisk.External(file("flex.img", 50L << 20)))) {
            MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
            assertSameView(null, md, true);
        }
        Path disk = file("disk.img", 100L << 20);
        MetaDataTool.createMd(disk, new MetaDisk.Internal(), MetaDataTool.CreateOptions.DEFAULTS,
                MetaDataTool.Confirmation.REFUSE);
        assertSameView(disk, new MetaDisk.Internal(), true);
    }

    @Test
    void afterUuidRotationsAndBitmapChangesDrbdmetaSeesTheSame() throws Exception {
        Path meta = file("meta.img", 128L << 20);
        Path disk = file("disk.img", (3L << 30) + (5 << 20) + 4096);
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataTool.createMd(disk, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        Random r = new Random(11);
        try (MetaData m = MetaDataTool.open(disk, md)) {
            m.attach(ActivityLog.DEFAULT_EXTENTS);
            GenerationUuids g = m.uuids().promote(true, true, r.nextLong());
            GenerationUuids.SyncStart start = g.syncSourceStart(r.nextLong());
            g = start.uuids().resyncFinished().demote().promote(false, false, r.nextLong());
            GenerationUuids finalUuids = g;
            m.updateSuperblock(sb -> sb.withLaSizeSect(m.usableSectors()).withUuids(finalUuids)
                    .withFlags(sb.flags() | MdFlags.CONSISTENT | MdFlags.WAS_UP_TO_DATE | MdFlags.PRIMARY_IND
                            | MdFlags.PEER_OUT_DATED));
            for (int i = 0; i < 300; i++) {
                long offset = (long) (r.nextDouble() * ((3L << 30) - (1 << 20)));
                m.alBeginIo(offset, 65536);
                m.markOutOfSync(offset, 1 + r.nextInt(65536));
                m.alCompleteIo(offset, 65536);
            }
            m.bitmap().set(0, 70_000);
            m.bitmap().set(m.bitmap().bits() - 3, m.bitmap().bits());
            m.writeDirtyBitmapPages();
            m.detach();
            String dump = tandemDump(disk, md);
            assertTrue(dump.contains("# bits-set " + m.bitmap().cardinality() + ";"), "bits-set is the exact count");
        }
        assertSameView(disk, md, true);
    }

    @Test
    void drbdmetaCreateSetGiAndRestoreMdAreReadByTandem() throws Exception {
        Path meta = file("meta.img", 128L << 20);
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        drbdmeta(true, meta, "0", "create-md");
        String crafted = """
                version "v08";
                uuid {
                    0x0000000000000004; 0x0000000000000000; 0x0000000000000000; 0x0000000000000000;
                    flags 0x00000080;
                }
                la-size-sect 1048576;
                bm-byte-per-bit 4096;
                device-uuid 0x00000000DEADBEEF;
                la-peer-max-bio-size 1048576;
                al-stripes 1;
                al-stripe-size-4k 8;
                bm {
                   0xFFFFFFFFFFFFFFFF; 0x8000000000000001; 0x00000000000000F0;
                   61 times 0x0000000000000000;
                   64 times 0x0101010101010101;
                   0x0000000000000000;
                }
                """;
        Path dumpFile = dir.resolve("crafted.dump");
        Files.writeString(dumpFile, crafted);
        drbdmeta(true, meta, "0", "restore-md", dumpFile.toString());
        drbdmeta(true, meta, "0", "set-gi", "AAAABBBBCCCCDDDD:1111222233334444:5555666677778888:9999000011112222:1:1:0:0:0:1:1");

        Superblock sb = MetaDataTool.readSuperblock(null, md);
        assertEquals(new GenerationUuids(0xAAAABBBBCCCCDDDDL, 0x1111222233334444L, 0x5555666677778888L,
                0x9999000011112222L), sb.uuids());
        assertEquals(MdFlags.CONSISTENT | MdFlags.WAS_UP_TO_DATE | MdFlags.PEER_OUT_DATED | MdFlags.CRASHED_PRIMARY
                | MdFlags.AL_CLEAN, sb.flags());
        assertEquals(1048576, sb.laSizeSect());
        assertEquals(0xDEADBEEFL, sb.deviceUuid());
        assertEquals(1048576, sb.laPeerMaxBioSize());
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 512L << 20)) {
            Bitmap b = m.bitmap();
            assertEquals(-1L, b.word(0));
            assertEquals(0x8000000000000001L, b.word(1));
            assertEquals(0xF0L, b.word(2));
            assertEquals(0, b.word(63));
            assertEquals(0x0101010101010101L, b.word(64));
            assertEquals(0x0101010101010101L, b.word(127));
            assertEquals(0, b.word(128));
            assertEquals(64 + 2 + 4 + 64 * 8, b.cardinality());
        }
        assertSameView(null, md, true);
    }

    /** A Primary crashes with a full activity log: drbdmeta apply-al and Tandem's attach mark the same bits. */
    @Test
    void activityLogWrittenByTandemIsAppliedByDrbdmetaTheSameWay() throws Exception {
        Path meta = file("meta.img", 128L << 20);
        Path disk = file("disk.img", 4L << 30);
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataTool.createMd(disk, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        Random r = new Random(5);
        try (MetaData m = MetaDataTool.open(disk, md)) {
            m.updateSuperblock(sb -> sb.withLaSizeSect(m.usableSectors()));
            m.attach(1237);
            m.updateSuperblock(sb -> sb.withFlag(MdFlags.PRIMARY_IND, true));
            for (int i = 0; i < 3000; i++) {
                long offset = ((long) r.nextInt(1024) << 22) + r.nextInt(1 << 20);
                m.alBeginIo(offset, 4096);
                m.alCompleteIo(offset, 4096);
            }
        }
        Path copy = dir.resolve("meta-copy.img");
        Files.copy(meta, copy, StandardCopyOption.REPLACE_EXISTING);
        drbdmeta(true, copy, "0", "apply-al");
        try (MetaData m = MetaDataTool.open(disk, md)) {
            MetaData.AttachReport report = m.attach(1237);
            assertTrue(report.replayedActivityLog());
            m.detach();
        }
        MetaDisk copyMd = new MetaDisk.Indexed(copy, 0);
        String theirs = body(drbdmeta(true, copy, "0", "dump-md").stdout());
        String ours = tandemDump(disk, md);
        assertEquals(theirs, ours);
        assertEquals(MetaDataTool.readSuperblock(null, copyMd).uuids(), MetaDataTool.readSuperblock(null, md).uuids());
    }

    @Test
    @E2e(tools = {"drbdmeta"}, root = true, loop = true)
    void internalMetaDataOnLoopDevicesBothWays() throws Exception {
        Path a = file("a.img", 200L << 20);
        Path b = file("b.img", 300L << 20 | 12288);
        try (LoopDevice la = LoopDevice.attach(a); LoopDevice lb = LoopDevice.attach(b)) {
            drbdmeta(false, la.path(), "internal", "create-md");
            MetaDisk internal = new MetaDisk.Internal();
            assertEquals(GenerationUuids.justCreated(), MetaDataTool.readSuperblock(la.path(), internal).uuids());
            assertSameView(la.path(), internal, false);

            MetaDataTool.createMd(lb.path(), internal, MetaDataTool.CreateOptions.DEFAULTS,
                    MetaDataTool.Confirmation.REFUSE);
            try (MetaData m = MetaDataTool.open(lb.path(), internal)) {
                m.attach(ActivityLog.DEFAULT_EXTENTS);
                m.updateSuperblock(sb -> sb.withLaSizeSect(m.usableSectors())
                        .withUuids(sb.uuids().newCurrentUuid(0x1234_5678_9abc_def0L, false)));
                m.markOutOfSync(m.usableSectors() * 512 - 1, 1);
                m.markOutOfSync(12345, 100_000);
                m.detach();
            }
            assertSameView(lb.path(), internal, false);
            assertEquals("Inconsistent\n", drbdmeta(false, lb.path(), "internal", "dstate").stdout());
        }
    }
}
