package uk.e42.tandem.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * A backing device or file, addressed by byte offset. Calls block: callers run them on worker or
 * virtual threads, never on an event loop. Implementations are safe for concurrent calls on
 * non-overlapping ranges; ordering of overlapping requests is the caller's business (the request
 * path keeps it, as DRBD does).
 */
public interface BlockStore extends Closeable {

    /** Usable size in bytes (for a block device: its real size, not FileChannel's 0). */
    long size();

    /**
     * Asks the device for its size again, after it grew or shrank underneath (lvextend, truncate,
     * {@code losetup -c}), makes {@link #size()} answer it and returns it. A store whose size cannot
     * change (a slice, an in-memory disk) answers its size.
     */
    default long refreshSize() throws IOException {
        return size();
    }

    /** Fills {@code dst} from {@code offset}; a range beyond {@link #size()} is an error. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all of {@code src} at {@code offset}, or throws; never a silent short write. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every completed write durable (fdatasync). */
    void flush() throws IOException;

    /** The range's data is no longer needed; reads of it return zeroes afterwards. */
    void discard(long offset, long length) throws IOException;

    /** The range reads as zeroes afterwards. */
    void writeZeroes(long offset, long length) throws IOException;

    /**
     * This store for writing data that nobody reads back soon (resync data): past the page cache (O_DIRECT)
     * where the store can, because filling new page-cache pages costs the writer more CPU than the write
     * itself (bench/README.md, "Session 8"). Writes through it and through this store reach the same bytes and
     * the same {@link #flush()}; the caller keeps overlapping writes in order, as for any store. It belongs to
     * this store: closing this store closes it, and callers never close it themselves. A store that cannot write
     * past the cache answers itself.
     */
    default BlockStore uncached() {
        return this;
    }

    /** Where this store's bytes live, for error messages ("/dev/vg/meta", "/srv/disk.img[+4096]"). */
    default String describe() {
        return toString();
    }

    /**
     * A view of the first {@code length} bytes, the length read at each call: the data area in front of
     * internal meta data, which a resize moves. Nothing behind it can be touched through the view, so a
     * peer's write or resync request beyond the agreed size fails instead of overwriting the meta data.
     * Closing the view leaves this store open.
     */
    default BlockStore dataArea(LongSupplier length) {
        return new DataAreaBlockStore(this, length);
    }

    /** Fails with a message naming the store when {@code offset+length} leaves {@code [0, size)}. */
    static void checkRange(BlockStore store, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > store.size() - length) {
            throw new IOException(store.describe() + ": range " + offset + "+" + length
                    + " is outside the device (size " + store.size() + " bytes)");
        }
    }
}
