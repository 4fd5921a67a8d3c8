package uk.e42.tandem.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataAreaBlockStoreTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void nothingBehindTheDataAreaCanBeTouchedAndTheMetaDataStaysIntact() throws IOException {
        Path file = dir.resolve("disk.img");
        try (var raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(4 * MIB);
        }
        byte[] metaData = new byte[MIB];
        Arrays.fill(metaData, (byte) 0x5a);
        try (BlockStore device = FileBlockStore.open(file)) {
            device.write(3 * MIB, ByteBuffer.wrap(metaData));
            BlockStore data = device.dataArea(() -> 3L * MIB);
            assertEquals(3L * MIB, data.size());
            data.write(3 * MIB - 4096, ByteBuffer.wrap(new byte[4096]));
            IOException crossing = assertThrows(IOException.class,
                    () -> data.write(3 * MIB - 4096, ByteBuffer.wrap(new byte[8192])));
            assertTrue(crossing.getMessage().contains("[data area]: range 3141632+8192 is outside the device (size "
                    + 3 * MIB + " bytes)"), crossing.getMessage());
            assertThrows(IOException.class, () -> data.writeZeroes(3 * MIB, 4096));
            assertThrows(IOException.class, () -> data.discard(3 * MIB, 4096));
            assertThrows(IOException.class, () -> data.read(3 * MIB, ByteBuffer.allocate(4096)));
            BlockStore uncached = data.uncached();
            assertSame(uncached, data.uncached(), "one view, kept: asked for at every resync write");
            assertTrue(uncached.describe().endsWith("[data area]"), uncached.describe());
            uncached.write(3 * MIB - 4096, ByteBuffer.wrap(new byte[4096]));
            assertThrows(IOException.class, () -> uncached.write(3 * MIB - 4096, ByteBuffer.wrap(new byte[8192])));
        }
        byte[] after = Files.readAllBytes(file);
        assertArrayEquals(metaData, Arrays.copyOfRange(after, 3 * MIB, 4 * MIB), "the meta data is untouched");
    }

    @Test
    void theAreaFollowsTheAgreedSizeAndNeverExceedsTheDevice() throws IOException {
        Path file = dir.resolve("disk.img");
        try (var raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(4 * MIB);
        }
        AtomicLong agreed = new AtomicLong(MIB);
        try (BlockStore device = FileBlockStore.open(file)) {
            BlockStore data = device.dataArea(agreed::get);
            assertThrows(IOException.class, () -> data.write(2 * MIB, ByteBuffer.wrap(new byte[4096])));
            agreed.set(3L * MIB);
            data.write(2 * MIB, ByteBuffer.wrap(new byte[4096]));
            agreed.set(8L * MIB);
            assertEquals(4L * MIB, data.size(), "a size beyond the device is the device's");
        }
    }
}
