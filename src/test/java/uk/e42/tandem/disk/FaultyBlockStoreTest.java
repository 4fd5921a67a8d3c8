package uk.e42.tandem.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultyBlockStoreTest {
    @TempDir
    Path dir;

    private FaultyBlockStore store() throws IOException {
        Path p = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(64 * 1024);
        }
        return new FaultyBlockStore(FileBlockStore.open(p));
    }

    private static byte[] read(BlockStore s, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        s.read(offset, b);
        return b.array();
    }

    @Test
    void eioOnlyInsideTheChosenRange() throws IOException {
        try (FaultyBlockStore s = store().failReads(8192, 4096).failWrites(16384, 10)) {
            s.read(0, ByteBuffer.allocate(8192));
            IOException r = assertThrows(IOException.class, () -> s.read(8000, ByteBuffer.allocate(200)));
            assertTrue(r.getMessage().contains("EIO") && r.getMessage().contains(FaultyBlockStore.INJECTED));
            s.write(16394, ByteBuffer.wrap(new byte[] {1}));
            assertThrows(IOException.class, () -> s.write(16380, ByteBuffer.wrap(new byte[] {9, 9, 9, 9, 9})));
            assertThrows(IOException.class, () -> s.writeZeroes(16384, 1));
            assertArrayEquals(new byte[5], read(s, 16380, 5), "a failed write writes nothing");
            assertEquals(3, s.injectedFailures());
            s.heal();
            s.read(8192, ByteBuffer.allocate(4096));
        }
    }

    /** Resync data goes through {@link BlockStore#uncached()}: the faults reach it there too. */
    @Test
    void faultsReachTheUncachedPathToo() throws IOException {
        try (FaultyBlockStore s = store().failWrites(8192, 4096)) {
            ByteBuffer aligned = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
            IOException e = assertThrows(IOException.class, () -> s.uncached().write(8192, aligned.duplicate()));
            assertTrue(e.getMessage().contains(FaultyBlockStore.INJECTED), e.getMessage());
            s.uncached().write(0, aligned.duplicate());
            assertEquals(1, s.injectedFailures());
        }
    }

    @Test
    void noSpaceBeyondTheLimit() throws IOException {
        try (FaultyBlockStore s = store().noSpaceFrom(32768)) {
            s.write(32000, ByteBuffer.allocate(768));
            IOException e = assertThrows(IOException.class, () -> s.write(32000, ByteBuffer.allocate(769)));
            assertTrue(e.getMessage().contains("ENOSPC"));
        }
    }

    @Test
    void tornWriteKeepsThePrefixAndFails() throws IOException {
        try (FaultyBlockStore s = store().tornWrites(0, 4096, 512)) {
            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) 7);
            ByteBuffer src = ByteBuffer.wrap(data);
            IOException e = assertThrows(IOException.class, () -> s.write(0, src));
            assertTrue(e.getMessage().contains("short write: 512 of 4096"), e.getMessage());
            assertEquals(512, src.position());
            byte[] back = read(s, 0, 4096);
            assertEquals(7, back[511]);
            assertEquals(0, back[512]);
        }
    }

    @Test
    void flushFailuresAndLatency() throws IOException {
        try (FaultyBlockStore s = store().failFlushes().latency(Duration.ofMillis(5))) {
            assertThrows(IOException.class, s::flush);
            long t0 = System.nanoTime();
            s.read(0, ByteBuffer.allocate(1));
            assertTrue(System.nanoTime() - t0 >= 5_000_000L, "the read waited for the injected latency");
        }
    }
}
