package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FileBlockStore;

class MetaDataToolTest {
    @TempDir
    Path dir;

    Path file(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    static String sha(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    void createIndexedExternalMetaData() throws IOException {
        Path meta = file("meta.img", 256L << 20);
        Path disk = file("disk.img", 64L << 20);
        MetaDisk md = MetaDisk.parse(meta + "[1]");
        MetaDataTool.Created c = MetaDataTool.createMd(disk, md, MetaDataTool.CreateOptions.DEFAULTS,
                MetaDataTool.Confirmation.REFUSE);
        assertEquals(128L << 20, c.layout().mdOffset());
        assertEquals((128L << 20) + 4096, c.layout().alOffset());
        assertEquals((128L << 20) + 36864, c.layout().bmOffset());
        Superblock sb = MetaDataTool.readSuperblock(disk, md);
        assertEquals(GenerationUuids.justCreated(), sb.uuids());
        assertEquals(MdFlags.AL_CLEAN, sb.flags());
        assertEquals(262144, sb.mdSizeSect());
        assertEquals("0000000000000004:0000000000000000:0000000000000000:0000000000000000:0:0:0:0:0:0:0\n",
                MetaDataTool.getGi(disk, md));
        assertEquals("Inconsistent", MetaDataTool.dstate(disk, md));
    }

    @Test
    void internalMetaDataSizedAsDrbdmetaDoes() throws IOException {
        Path disk = file("disk.img", 100L << 20);
        MetaDataTool.Created c = MetaDataTool.createMd(disk, new MetaDisk.Internal(),
                MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        // Observed with drbdmeta 9.22 on a 100 MiB file: md_size_sect 80, offsets as below.
        assertEquals(80, c.superblock().mdSizeSect());
        assertEquals(104853504, c.layout().mdOffset());
        assertEquals(104820736, c.layout().alOffset());
        assertEquals(104816640, c.layout().bmOffset());
        assertEquals(104816640 / 512, c.layout().maxUsableSectors());
        try (MetaData m = MetaDataTool.open(disk, new MetaDisk.Internal())) {
            assertEquals(104816640 / 512, m.usableSectors());
        }
    }

    @Test
    void existingMetaDataIsNamedAndOnlyOverwrittenWhenConfirmed() throws Exception {
        Path meta = file("meta.img", 128L << 20);
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, 64L << 20)) {
            m.setUuids(new GenerationUuids(0xABCDEF0123456788L, 4, 0, 0));
        }
        String before = sha(meta);
        AtomicReference<String> asked = new AtomicReference<>();
        MetaDataException refused = assertThrows(MetaDataException.class, () -> MetaDataTool.createMd(null, md,
                MetaDataTool.CreateOptions.DEFAULTS, q -> {
                    asked.set(q);
                    return false;
                }));
        assertTrue(asked.get().contains("Valid v08 meta data found on " + meta), asked.get());
        assertTrue(asked.get().contains("ABCDEF0123456788:0000000000000004"), asked.get());
        assertTrue(refused.getMessage().contains("--force"), refused.getMessage());
        assertEquals(before, sha(meta), "nothing was written");

        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.FORCE);
        assertEquals(GenerationUuids.justCreated(), MetaDataTool.readSuperblock(null, md).uuids());
    }

    @Test
    void foreignDataAndFilesystemsNeedConfirmation() throws Exception {
        Path meta = file("meta.img", 128L << 20);
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.write("not drbd".getBytes());
        }
        MetaDataException e = assertThrows(MetaDataException.class, () -> MetaDataTool.createMd(null,
                new MetaDisk.External(meta), MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE));
        assertTrue(e.getMessage().contains("some other data"), e.getMessage());

        Path disk = file("disk.img", 16L << 20);
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.seek(1024);
            f.write(new byte[] {0x53, (byte) 0xef});
        }
        String before = sha(disk);
        e = assertThrows(MetaDataException.class, () -> MetaDataTool.createMd(disk, new MetaDisk.Internal(),
                MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE));
        assertTrue(e.getMessage().contains("might destroy existing data"), e.getMessage());
        assertEquals(before, sha(disk));
    }

    @Test
    void wrongMagicIsAClearError() throws Exception {
        Path meta = file("meta.img", 128L << 20);
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.seek(0x3c);
            f.writeInt(Superblock.MAGIC_V09);
        }
        String before = sha(meta);
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataException e = assertThrows(MetaDataException.class, () -> MetaDataTool.readSuperblock(null, md));
        assertTrue(e.getMessage().contains("found magic v09 (DRBD 9)"), e.getMessage());
        assertTrue(e.getMessage().contains("create-md"), e.getMessage());
        e = assertThrows(MetaDataException.class, () -> MetaDataTool.open(file("disk.img", 1 << 20), md));
        assertTrue(e.getMessage().contains("no v08 meta data at meta-disk " + meta + "[0]"), e.getMessage());
        assertEquals(before, sha(meta));
    }

    @Test
    void indexBeyondTheMetaDevice() throws Exception {
        Path meta = file("meta.img", 200L << 20);
        String before = sha(meta);
        MetaDataException e = assertThrows(MetaDataException.class, () -> MetaDataTool.createMd(null,
                new MetaDisk.Indexed(meta, 1), MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.FORCE));
        assertTrue(e.getMessage().contains("index 1 lies beyond the meta device; slot 1 needs 268435456 bytes"),
                e.getMessage());
        assertEquals(before, sha(meta));
    }

    @Test
    void truncatedMetaDisk() throws Exception {
        Path meta = file("meta.img", 64L << 20);
        MetaDisk ext = new MetaDisk.External(meta);
        MetaDataTool.createMd(null, ext, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.setLength(32L << 20);
        }
        String before = sha(meta);
        MetaDataException e = assertThrows(MetaDataException.class, () -> MetaDataTool.readSuperblock(null, ext));
        assertTrue(e.getMessage().contains("truncated meta-disk"), e.getMessage());
        assertEquals(before, sha(meta));

        Path tiny = file("tiny.img", 4096);
        e = assertThrows(MetaDataException.class, () -> MetaDataTool.createMd(null, new MetaDisk.External(tiny),
                MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.FORCE));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void backingDeviceSmallerThanTheRecordedSize() throws Exception {
        Path meta = file("meta.img", 128L << 20);
        Path disk = file("disk.img", 64L << 20);
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataTool.createMd(disk, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        try (MetaData m = MetaDataTool.open(disk, md)) {
            m.updateSuperblock(sb -> sb.withLaSizeSect(m.usableSectors()));
        }
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(32L << 20);
        }
        String before = sha(meta);
        MetaDataException e = assertThrows(MetaDataException.class, () -> MetaDataTool.open(disk, md));
        assertTrue(e.getMessage().contains("records an agreed size of 131072 sectors"), e.getMessage());
        assertTrue(e.getMessage().contains("offers only 65536 sectors"), e.getMessage());
        assertEquals(before, sha(meta));
    }

    @Test
    void metaDiskSyntax() {
        assertEquals(new MetaDisk.Internal(), MetaDisk.parse("internal"));
        assertEquals(new MetaDisk.Indexed(Path.of("/dev/local/drbdmeta"), 0), MetaDisk.parse("/dev/local/drbdmeta[0]"));
        assertEquals(new MetaDisk.External(Path.of("/dev/vg/meta")), MetaDisk.parse("/dev/vg/meta"));
        assertEquals("/dev/x[3]", MetaDisk.parse("/dev/x [ 3 ]").toString());
        assertThrows(IllegalArgumentException.class, () -> MetaDisk.parse("/dev/x[256]"));
        assertThrows(IllegalArgumentException.class, () -> MetaDisk.parse("/dev/x[a]"));
        assertFalse(MetaDisk.parse("/dev/x[1]") instanceof MetaDisk.External);
    }

    @Test
    void superblockRoundTrip() {
        Superblock sb = new Superblock(123, new GenerationUuids(1, 2, 3, 4), 5, 0xd5, Superblock.MAGIC_V08, 262144, 8,
                1237, 72, 4096, 1 << 20, 1, 8);
        assertEquals(sb, Superblock.decode(sb.encode()));
        byte[] bytes = sb.encode().array();
        assertArrayEquals(new byte[] {(byte) 0x83, 0x74, 0x02, 0x6b}, Arrays.copyOfRange(bytes, 0x3c, 0x40));
    }
}
