package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FileBlockStore;

class MetaDataDumpTest {
    @TempDir
    Path dir;

    static final MetaDataDump.Header HEADER = new MetaDataDump.Header(Instant.ofEpochSecond(1795648611),
            ZoneOffset.UTC, "vm", "tandem dump-md r0");

    /** drbdmeta 9.22's dump of a 128 MiB indexed slot with la-size 64 MiB and a few bits, captured here. */
    static final String EXPECTED = """
            # DRBD meta data dump
            # 2026-11-25 23:16:51 +0000 [1795648611]
            # vm> tandem dump-md r0
            #

            version "v08";

            # md_size_sect 262144
            # md_offset 0
            # al_offset 4096
            # bm_offset 36864

            uuid {
                0x1234567890ABCDEF; 0x0000000000001111; 0x0000000000002222; 0x0000000000003333;
                flags 0x00000000;
            }
            # al-extents 257;
            la-size-sect 131072;
            bm-byte-per-bit 4096;
            device-uuid 0x0000000000000000;
            la-peer-max-bio-size 0;
            al-stripes 1;
            al-stripe-size-4k 8;
            # bm-bytes 4096;
            bm {
               # at 0kB
                0xFFFFFFFFFFFFFFFF; 0x0000000000000001; 0x0000000000000000; 0x0000000000000000;
                96 times 0x0000000000000000;
                0x0000000000000080; 0x0000000000000000; 0x0000000000000000; 0x0000000000000000;
                408 times 0x0000000000000000;
            }
            # bits-set 66;
            """;

    @Test
    void dumpMatchesDrbdmetaByteForByte() throws IOException {
        Path meta = dir.resolve("meta.img");
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.setLength(128L << 20);
        }
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 64L << 20)) {
            m.updateSuperblock(sb -> sb.withLaSizeSect(131072)
                    .withUuids(new GenerationUuids(0x1234567890ABCDEFL, 0x1111, 0x2222, 0x3333))
                    .withFlags(0x80 | 0x1 | 0x10 | 0x2 | 0x20));
            m.bitmap().set(0, 65);
            m.bitmap().set(100 * 64 + 7, 100 * 64 + 8);
            m.writeDirtyBitmapPages();
        }
        assertEquals(EXPECTED, MetaDataTool.dumpMd(null, md, HEADER, false));
        assertEquals("""

                       +--<  Current data generation UUID  >-
                       |               +--<  Bitmap's base data generation UUID  >-
                       |               |                 +--<  younger history UUID  >-
                       |               |                 |         +-<  older history  >-
                       V               V                 V         V
                1234567890ABCDEF:0000000000001111:0000000000002222:0000000000003333:1:1:1:0:0:1:0
                                                                                    ^ ^ ^ ^ ^ ^ ^
                                                      -<  Data consistency flag  >--+ | | | | | |
                                             -<  Data was/is currently up-to-date  >--+ | | | | |
                                                  -<  Node was/is currently primary  >--+ | | | |
                                                  -<  Node was/is currently connected  >--+ | | |
                         -<  Node was in the progress of setting all bits in the bitmap  >--+ | |
                                        -<  The peer's disk was out-dated or inconsistent  >--+ |
                      -<  This node was a crashed primary, and has not seen its peer since   >--+

                flags: Primary, StandAlone, UpToDate, peer Outdated
                meta-data: clean
                last agreed size: 64 MB (131072 sectors)
                last agreed max bio size: 0 Byte
                """, MetaDataTool.showGi(null, md));
        assertEquals("UpToDate", MetaDataTool.dstate(null, md));
    }

    @Test
    void uncleanMetaDataIsRefusedUnlessForced() throws IOException {
        Path meta = dir.resolve("meta.img");
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.setLength(128L << 20);
        }
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 64L << 20)) {
            m.attach(ActivityLog.DEFAULT_EXTENTS);
        }
        MetaDataException e = assertThrows(MetaDataException.class, () -> MetaDataTool.dumpMd(null, md, HEADER, false));
        assertTrue(e.getMessage().contains("Found meta data is \"unclean\", please apply-al first"));
        String forced = MetaDataTool.dumpMd(null, md, HEADER, true);
        assertTrue(forced.contains("This_is_an_unclean_meta_data_dump._Don't_trust_the_bitmap."));
        assertTrue(MetaDataTool.showGi(null, md).contains("meta-data: need apply-al"));
    }

    @Test
    void runsAndMarkersFollowDrbdmetasRules() throws IOException {
        Path p = dir.resolve("bm.img");
        int words32 = 4096 * 3 / 4;
        ByteBuffer b = ByteBuffer.allocate(words32 * 4).order(ByteOrder.LITTLE_ENDIAN);
        // u32 words: 0..15 zero (a run of exactly 16 = 8 u64), then a 64-bit pattern whose halves differ.
        for (int i = 16; i < 64; i += 2) {
            b.putInt(i * 4, 0xFFFFFFFF);
        }
        for (int i = 64; i < 80; i++) {
            b.putInt(i * 4, 0x01010101);
        }
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(b.array());
        }
        StringBuilder out = new StringBuilder();
        long bits;
        try (FileBlockStore s = FileBlockStore.open(p)) {
            bits = MetaDataDump.printBitmap(out, s, 0, words32 * 4L, 4096);
        }
        String text = out.toString();
        assertTrue(text.startsWith("{\n   # at 0kB\n    8 times 0x0000000000000000;\n    0x00000000FFFFFFFF;"),
                text.substring(0, 120));
        assertTrue(text.contains("\n   # at 8192kB\n    8 times 0x0101010101010101;\n"), text);
        assertEquals(24 * 32 + 16 * 4, bits);
    }

    @Test
    void ppsizeAsDrbd() {
        assertEquals("64 MB", MetaDataDump.ppsize(65536));
        assertEquals("9999 KB", MetaDataDump.ppsize(9999));
        assertEquals("10 MB", MetaDataDump.ppsize(10000));
        assertEquals("64 GB", MetaDataDump.ppsize(64L << 20));
    }
}
