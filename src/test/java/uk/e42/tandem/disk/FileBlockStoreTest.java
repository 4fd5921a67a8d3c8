package uk.e42.tandem.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.e2e.E2e;

class FileBlockStoreTest {
    @TempDir
    Path dir;

    private Path file(long size) throws IOException {
        Path p = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A direct buffer at a 4 KiB boundary, as O_DIRECT takes it without a bounce buffer. */
    private static ByteBuffer alignedRandom(int n, long seed) {
        // alignedSlice ends at a 4 KiB boundary too: room for n rounded up
        ByteBuffer aligned = ByteBuffer.allocateDirect(((n + 4095) & ~4095) + 4096).alignedSlice(4096).limit(n).slice();
        return aligned.put(random(n, seed)).flip();
    }

    private static byte[] read(BlockStore s, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        s.read(offset, b);
        return b.array();
    }

    @Test
    void positionedWritesAndReadsOnAFile() throws IOException {
        try (FileBlockStore s = FileBlockStore.open(file(1 << 20))) {
            assertEquals(1 << 20, s.size());
            assertFalse(s.isBlockDevice());
            byte[] data = random(10_000, 1);
            s.write(12_345, ByteBuffer.wrap(data));
            s.flush();
            assertArrayEquals(data, read(s, 12_345, data.length));
        }
    }

    @Test
    void rangesOutsideTheDeviceAreRefusedAndNothingIsWritten() throws IOException {
        Path p = file(8192);
        try (FileBlockStore s = FileBlockStore.open(p)) {
            IOException e = assertThrows(IOException.class, () -> s.write(8000, ByteBuffer.allocate(200)));
            assertTrue(e.getMessage().contains("outside the device (size 8192 bytes)"), e.getMessage());
            assertThrows(IOException.class, () -> s.read(-1, ByteBuffer.allocate(1)));
            assertThrows(IOException.class, () -> s.writeZeroes(8192, 1));
        }
        assertEquals(8192, Files.size(p));
    }

    @Test
    void writeZeroesAndDiscardLeaveZeroes() throws IOException {
        try (FileBlockStore s = FileBlockStore.open(file(3 << 20))) {
            s.write(0, ByteBuffer.wrap(random(3 << 20, 2)));
            s.writeZeroes(100, (1 << 20) + 7);
            s.discard(2 << 20, 4096);
            byte[] all = read(s, 0, 3 << 20);
            for (int i = 100; i < 100 + (1 << 20) + 7; i++) {
                assertEquals(0, all[i], "byte " + i);
            }
            for (int i = 2 << 20; i < (2 << 20) + 4096; i++) {
                assertEquals(0, all[i], "byte " + i);
            }
            assertTrue(all[99] != 0 || all[98] != 0, "bytes before the range kept");
        }
    }

    @Test
    void readOnlyRefusesWrites() throws IOException {
        try (FileBlockStore s = FileBlockStore.open(file(4096), FileBlockStore.Option.READ_ONLY)) {
            IOException e = assertThrows(IOException.class, () -> s.write(0, ByteBuffer.allocate(1)));
            assertTrue(e.getMessage().contains("read-only"));
        }
    }

    @Test
    void missingFileNamesTheFix() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> FileBlockStore.open(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("meta-disk"), e.getMessage());
    }

    @Test
    void directIoHandlesUnalignedRequestsWithReadModifyWrite() throws IOException {
        Path p = file(1 << 20);
        byte[] reference = random(1 << 20, 3);
        try (FileBlockStore s = FileBlockStore.open(p)) {
            s.write(0, ByteBuffer.wrap(reference));
        }
        try (FileBlockStore s = FileBlockStore.open(p, FileBlockStore.Option.DIRECT)) {
            assertTrue(s.isDirect());
            Random r = new Random(4);
            for (int i = 0; i < 200; i++) {
                int off = r.nextInt((1 << 20) - 9000);
                byte[] chunk = random(1 + r.nextInt(9000), i);
                s.write(off, ByteBuffer.wrap(chunk));
                System.arraycopy(chunk, 0, reference, off, chunk.length);
                int roff = r.nextInt((1 << 20) - 5000);
                int rlen = 1 + r.nextInt(5000);
                byte[] want = new byte[rlen];
                System.arraycopy(reference, roff, want, 0, rlen);
                assertArrayEquals(want, read(s, roff, rlen));
            }
            ByteBuffer aligned = alignedRandom(8192, 5);
            s.write(4096, aligned.duplicate());
            aligned.get(0, reference, 4096, 8192);
            s.writeZeroes(10, 5000);
            Arrays.fill(reference, 10, 5010, (byte) 0);
            s.flush();
        }
        assertArrayEquals(reference, Files.readAllBytes(p));
    }

    @Test
    void uncachedWritesGoPastThePageCacheToTheSameBytes() throws IOException {
        Path p = file(1 << 20);
        byte[] reference = random(1 << 20, 6);
        try (FileBlockStore s = FileBlockStore.open(p)) {
            s.write(0, ByteBuffer.wrap(reference));
            BlockStore uncached = s.uncached();
            assertNotSame(s, uncached);
            assertSame(uncached, s.uncached());
            assertInstanceOf(FileBlockStore.DirectWrites.class, uncached);
            // Over pages the cached store just dirtied: the direct write must not be undone by their writeback.
            ByteBuffer aligned = alignedRandom(65536, 7);
            uncached.write(8192, aligned.duplicate());
            aligned.get(0, reference, 8192, 65536);
            byte[] unaligned = random(5000, 8);
            uncached.write(100_001, ByteBuffer.wrap(unaligned));
            System.arraycopy(unaligned, 0, reference, 100_001, unaligned.length);
            // and the cached store reads what went past its pages
            assertArrayEquals(reference, read(s, 0, 1 << 20));
            s.flush();
        }
        assertArrayEquals(reference, Files.readAllBytes(p));
    }

    @Test
    void uncachedStoreFollowsTheSizeAndClosesWithItsStore() throws IOException {
        Path p = file(1 << 20);
        BlockStore uncached;
        try (FileBlockStore s = FileBlockStore.open(p)) {
            uncached = s.uncached();
            byte[] tail = random(4096, 9);
            assertThrows(IOException.class, () -> uncached.write(1 << 20, ByteBuffer.wrap(tail)));
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(2 << 20);
            }
            assertEquals(2 << 20, s.refreshSize());
            assertEquals(2 << 20, uncached.size());
            uncached.write(1 << 20, ByteBuffer.wrap(tail));
            assertArrayEquals(tail, read(s, 1 << 20, 4096));
        }
        assertThrows(IOException.class, () -> uncached.write(0, ByteBuffer.wrap(new byte[4096])));
    }

    /**
     * External meta data leaves the data device any size, so its last block can be short of 4 KiB: the uncached
     * store writes it through the cache instead of reading (past the end) and rewriting a whole aligned block.
     */
    @Test
    void uncachedWritesTheShortLastBlockOfAVolumeWhoseSizeIsNotAMultipleOf4KiB() throws IOException {
        Path p = file((1 << 20) + 512);
        ByteBuffer tail = alignedRandom(512, 11);
        byte[] expected = read(tail, 512);
        try (FileBlockStore s = FileBlockStore.open(p)) {
            s.uncached().write(1 << 20, tail);
            assertArrayEquals(expected, read(s, 1 << 20, 512));
            s.flush();
        }
        assertArrayEquals(expected, Arrays.copyOfRange(Files.readAllBytes(p), 1 << 20, (1 << 20) + 512));
    }

    private static byte[] read(ByteBuffer buffer, int length) {
        byte[] bytes = new byte[length];
        buffer.get(buffer.position(), bytes);
        return bytes;
    }

    /** An on-io-error detach closes the store while resync replies may still be queued for it. */
    @Test
    void anUncachedStoreAskedForAfterCloseFailsAndOpensNothing() throws IOException {
        Path p = file(1 << 20);
        FileBlockStore s = FileBlockStore.open(p);
        s.close();
        assertThrows(IOException.class, () -> s.uncached().write(0, alignedRandom(4096, 12)));
        assertEquals(0, descriptorsOn(p), "no descriptor left open on the detached disk");
        assertArrayEquals(new byte[4096], Arrays.copyOf(Files.readAllBytes(p), 4096), "nothing written to it");
    }

    private static long descriptorsOn(Path p) throws IOException {
        Path real = p.toRealPath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (IOException e) {
                    return false; // closed since listed
                }
            }).count();
        }
    }

    @Test
    void storesThatCannotGoPastTheCacheAnswerThemselves() throws IOException {
        Path p = file(1 << 20);
        try (FileBlockStore readOnly = FileBlockStore.open(p, FileBlockStore.Option.READ_ONLY);
                FileBlockStore direct = FileBlockStore.open(p, FileBlockStore.Option.DIRECT)) {
            assertSame(readOnly, readOnly.uncached());
            assertSame(direct, direct.uncached());
        }
    }

    @Test
    void aPathThatNamesAnotherFileNowGetsNoUncachedStore() throws IOException {
        Path p = file(1 << 20);
        try (FileBlockStore s = FileBlockStore.open(p)) {
            Path other = dir.resolve("other.img");
            Files.write(other, new byte[1 << 20]);
            Files.move(other, p, StandardCopyOption.REPLACE_EXISTING);
            assertSame(s, s.uncached());
            byte[] data = random(4096, 10);
            s.uncached().write(0, ByteBuffer.wrap(data));
            assertArrayEquals(data, read(s, 0, 4096));
            assertArrayEquals(new byte[4096], Arrays.copyOf(Files.readAllBytes(p), 4096), "the new file is untouched");
        }
    }

    @Test
    @E2e(root = true, loop = true)
    void blockDeviceSizeComesFromSysfsAndDirectIoWorks() throws IOException {
        Path p = file(24L << 20);
        try (LoopDevice loop = LoopDevice.attach(p)) {
            try (FileBlockStore s = FileBlockStore.open(loop.path(), FileBlockStore.Option.DIRECT)) {
                assertTrue(s.isBlockDevice());
                assertEquals(24L << 20, s.size());
                byte[] data = random(5000, 6);
                s.write(777, ByteBuffer.wrap(data));
                s.flush();
                assertArrayEquals(data, read(s, 777, 5000));
            }
        }
    }
}
