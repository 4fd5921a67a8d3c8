package uk.e42.tandem.disk;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * A {@link BlockStore} on a regular file or a block device, through positioned FileChannel I/O.
 *
 * <p>Size: a regular file's length at open; a block device's size from
 * {@code /sys/dev/block/MAJOR:MINOR/size} × 512 (what BLKGETSIZE64 returns), because
 * {@code FileChannel.size()} is 0 for block devices on older JDKs.
 *
 * <p>{@link Option#DIRECT} opens with O_DIRECT. The kernel then needs buffer address, offset and length
 * aligned to the logical block size; aligned requests in aligned direct buffers go straight through,
 * anything else goes through an aligned bounce buffer, and a write that covers only part of a block
 * becomes read-modify-write of that block under one lock (two such writes could share a block).
 *
 * <p>{@link #uncached()} is a view of this store that writes through a second channel on the same file, opened
 * with O_DIRECT at its first use, whatever is aligned for it (offset, length and buffer address) and everything
 * else through this store's channel: it never reads to rewrite a block, so it writes no byte it was not given
 * (a write ending in the short last block of a volume whose size is not a multiple of 4 KiB goes through the
 * cache). Where the file system refuses O_DIRECT or wants it aligned to more than 4 KiB, it is this store, and the
 * log says so once. The kernel keeps the two channels coherent: a direct write first writes back and then drops
 * the cached pages of its range.
 *
 * <p>{@link #discard} writes zeroes: Java 21 can neither punch holes (fallocate) nor issue
 * BLKDISCARD/BLKZEROOUT without the FFM preview, so the result is right (the range reads as zeroes)
 * but the space is not given back.
 */
public final class FileBlockStore implements BlockStore {
    /** How to open. */
    public enum Option {
        /** No writes: every write, discard or flush fails. dump-md and show-gi use this. */
        READ_ONLY,
        /** O_DIRECT: bypass the page cache. */
        DIRECT
    }

    private static final Logger LOG = Logger.getLogger(FileBlockStore.class);
    private static final int ZERO_CHUNK = 1 << 20;
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    /** Resync data comes in 4 KiB-aligned buffers (WriteApplier): past that, most of it would miss O_DIRECT anyway. */
    private static final int MAX_UNCACHED_ALIGNMENT = 4096;

    private final Path path;
    private final FileChannel channel;
    /** The file's identity (device and inode) when opened: {@link #uncached()} opens the path again. */
    private final Object fileKey;
    /** Re-read by {@link #refreshSize()}. */
    private volatile long size;
    private final boolean blockDevice;
    private final long rdev;
    private final boolean readOnly;
    /** 0 unless O_DIRECT: then the alignment the kernel demands. */
    private final int alignment;
    private final ByteBuffer zeroes;
    private final ReentrantLock partialBlockLock = new ReentrantLock();
    /** Null until {@link #uncached()} is first asked; then {@link DirectWrites}, or this store. Set under this. */
    private volatile BlockStore uncached;
    /** Under this store's monitor, as the opening of the O_DIRECT channel is: nothing opens once it is closed. */
    private boolean closed;

    private FileBlockStore(Path path, FileChannel channel, Object fileKey, long size, long rdev, boolean readOnly,
            int alignment) {
        this.path = path;
        this.channel = channel;
        this.fileKey = fileKey;
        this.size = size;
        this.rdev = rdev;
        this.blockDevice = rdev >= 0;
        this.readOnly = readOnly;
        this.alignment = alignment;
        this.zeroes = alignedBuffer(ZERO_CHUNK, Math.max(alignment, 1)).asReadOnlyBuffer();
    }

    /** Opens for reading and writing, through the page cache. */
    public static FileBlockStore open(Path path) throws IOException {
        return open(path, EnumSet.noneOf(Option.class));
    }

    public static FileBlockStore open(Path path, Option... options) throws IOException {
        return open(path, options.length == 0 ? EnumSet.noneOf(Option.class) : EnumSet.of(options[0], options));
    }

    public static FileBlockStore open(Path path, Set<Option> options) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null,
                    "no such file or device; check the disk/meta-disk name in the resource file");
        }
        boolean readOnly = options.contains(Option.READ_ONLY);
        boolean direct = options.contains(Option.DIRECT);
        List<OpenOption> open = new ArrayList<>(List.of(StandardOpenOption.READ));
        if (!readOnly) {
            open.add(StandardOpenOption.WRITE);
        }
        if (direct) {
            open.add(ExtendedOpenOption.DIRECT);
        }
        long rdev = blockDeviceNumber(path);
        int alignment = direct ? Math.max(512, (int) Files.getFileStore(path).getBlockSize()) : 0;
        FileChannel channel = FileChannel.open(path, open.toArray(OpenOption[]::new));
        try {
            long size = rdev >= 0 ? blockDeviceSize(path, rdev) : channel.size();
            Object fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return new FileBlockStore(path, channel, fileKey, size, rdev, readOnly, alignment);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The device number of a block device, or -1 for anything else. */
    private static long blockDeviceNumber(Path path) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(path, "unix:mode,rdev");
        } catch (UnsupportedOperationException e) {
            return -1;
        }
        int mode = (Integer) attributes.get("mode");
        return (mode & S_IFMT) == S_IFBLK ? (Long) attributes.get("rdev") : -1;
    }

    /** Linux dev_t → "major:minor" as sysfs names it, then the size in 512-byte sectors. */
    private static long blockDeviceSize(Path path, long rdev) throws IOException {
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        Path sysfs = Path.of("/sys/dev/block", major + ":" + minor, "size");
        try {
            return Long.parseLong(Files.readString(sysfs).trim()) * 512;
        } catch (IOException | NumberFormatException e) {
            throw new IOException(path + ": cannot read the size of block device " + major + ":" + minor + " from "
                    + sysfs + " (" + e.getMessage() + "); is /sys mounted?", e);
        }
    }

    public Path path() {
        return path;
    }

    public boolean isBlockDevice() {
        return blockDevice;
    }

    public boolean isDirect() {
        return alignment > 0;
    }

    @Override
    public long size() {
        return size;
    }

    /** Once closed, this store (whose closed channel fails every write), and nothing is opened. */
    @Override
    public BlockStore uncached() {
        BlockStore opened = uncached;
        return opened != null ? opened : openUncached();
    }

    private synchronized BlockStore openUncached() {
        if (uncached == null) {
            uncached = closed || readOnly || isDirect() ? this : directWritesOrThis();
        }
        return uncached;
    }

    private BlockStore directWritesOrThis() {
        try {
            int directAlignment = Math.max(512, (int) Files.getFileStore(path).getBlockSize());
            if (directAlignment > MAX_UNCACHED_ALIGNMENT) {
                LOG.warnf("%s: the file system wants O_DIRECT aligned to %d bytes, more than the %d of resync data;"
                        + " resync data is written through the page cache", path, directAlignment,
                        MAX_UNCACHED_ALIGNMENT);
                return this;
            }
            FileChannel direct = FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            // fileKey is never null on Linux (device and inode)
            if (!fileKey.equals(Files.readAttributes(path, BasicFileAttributes.class).fileKey())) {
                direct.close();
                LOG.warnf("%s is not the file this node opened at attach any more (replaced or moved since): resync"
                        + " data is written through the page cache of the file it opened", path);
                return this;
            }
            return new DirectWrites(direct, directAlignment);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warnf("%s: the file system refuses O_DIRECT (%s); resync data is written through the page cache",
                    path, e.getMessage());
            return this;
        }
    }

    @Override
    public long refreshSize() throws IOException {
        size = blockDevice ? blockDeviceSize(path, rdev) : channel.size();
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        BlockStore.checkRange(this, offset, dst.remaining());
        if (directPassesThrough(offset, dst)) {
            readFully(offset, dst);
            return;
        }
        long first = alignDown(offset);
        long end = alignUp(offset + dst.remaining());
        ByteBuffer bounce = alignedBuffer((int) (end - first), alignment);
        readFully(first, bounce);
        bounce.position((int) (offset - first)).limit((int) (offset - first) + dst.remaining());
        dst.put(bounce);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        checkWritable();
        BlockStore.checkRange(this, offset, src.remaining());
        if (directPassesThrough(offset, src)) {
            writeFully(offset, src);
            return;
        }
        long first = alignDown(offset);
        long end = alignUp(offset + src.remaining());
        ByteBuffer bounce = alignedBuffer((int) (end - first), alignment);
        boolean partial = first != offset || end != offset + src.remaining();
        if (!partial) {
            bounce.put(src).flip();
            writeFully(first, bounce);
            return;
        }
        partialBlockLock.lock();
        try {
            readFully(first, bounce);
            bounce.position((int) (offset - first));
            bounce.put(src).clear();
            writeFully(first, bounce);
        } finally {
            partialBlockLock.unlock();
        }
    }

    @Override
    public void flush() throws IOException {
        checkWritable();
        channel.force(false);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        writeZeroes(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        checkWritable();
        BlockStore.checkRange(this, offset, length);
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(ZERO_CHUNK, length - done);
            write(offset + done, zeroes.duplicate().limit(n));
            done += n;
        }
    }

    private boolean directPassesThrough(long offset, ByteBuffer buffer) {
        return alignment == 0 || aligned(offset, buffer, alignment);
    }

    private void readFully(long offset, ByteBuffer dst) throws IOException {
        long position = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            if (n < 0) {
                throw new EOFException(path + ": end of file at byte " + position + " although the device had "
                        + size + " bytes when opened (was it truncated?)");
            }
            position += n;
        }
    }

    private void writeFully(long offset, ByteBuffer src) throws IOException {
        writeFully(channel, offset, src);
    }

    private static void writeFully(FileChannel channel, long offset, ByteBuffer src) throws IOException {
        long position = offset;
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
    }

    private static boolean aligned(long offset, ByteBuffer buffer, int alignment) {
        return offset % alignment == 0 && buffer.remaining() % alignment == 0 && buffer.isDirect()
                && buffer.alignmentOffset(buffer.position(), alignment) == 0;
    }

    private void checkWritable() throws IOException {
        if (readOnly) {
            throw new IOException(path + " was opened read-only");
        }
    }

    private long alignDown(long offset) {
        return alignment == 0 ? offset : offset - offset % alignment;
    }

    private long alignUp(long offset) {
        return alignment == 0 ? offset : alignDown(offset + alignment - 1);
    }

    private static ByteBuffer alignedBuffer(int length, int alignment) {
        if (alignment <= 1) {
            return ByteBuffer.allocateDirect(length);
        }
        return ByteBuffer.allocateDirect(length + alignment).alignedSlice(alignment).limit(length).slice();
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        try (channel) {
            if (uncached instanceof DirectWrites directWrites) {
                directWrites.direct.close();
            }
        }
    }

    /**
     * {@link #uncached()}: aligned writes through the O_DIRECT channel, all else through this store. Its size is
     * this store's, read at each call, so a resize reaches it whenever it was opened; it is closed with this store.
     */
    final class DirectWrites implements BlockStore {
        private final FileChannel direct;
        private final int directAlignment;

        private DirectWrites(FileChannel direct, int directAlignment) {
            this.direct = direct;
            this.directAlignment = directAlignment;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public long refreshSize() throws IOException {
            return FileBlockStore.this.refreshSize();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            FileBlockStore.this.read(offset, dst);
        }

        /** Never a read-modify-write: what O_DIRECT cannot take as it is goes through the page cache. */
        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            BlockStore.checkRange(this, offset, src.remaining());
            if (aligned(offset, src, directAlignment)) {
                writeFully(direct, offset, src);
            } else {
                FileBlockStore.this.write(offset, src);
            }
        }

        /** fdatasync of the file: covers what either channel wrote. */
        @Override
        public void flush() throws IOException {
            FileBlockStore.this.flush();
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            FileBlockStore.this.discard(offset, length);
        }

        @Override
        public void writeZeroes(long offset, long length) throws IOException {
            FileBlockStore.this.writeZeroes(offset, length);
        }

        @Override
        public String describe() {
            return FileBlockStore.this.describe();
        }

        @Override
        public String toString() {
            return describe();
        }

        /** Closed with its store. */
        @Override
        public void close() {
        }
    }
}
