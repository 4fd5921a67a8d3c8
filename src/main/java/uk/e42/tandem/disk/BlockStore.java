package uk.e42.tandem.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

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

    /** Where this store's bytes live, for error messages ("/dev/vg/meta", "/srv/disk.img[+4096]"). */
    default String describe() {
        return toString();
    }

    /**
     * A view of {@code length} bytes starting at {@code offset}: offsets are relative to the start,
     * and nothing outside the window can be touched through it (internal meta data sits behind the
     * data area of the same device; the data path gets a slice that ends before it). Closing the
     * view leaves this store open.
     */
    default BlockStore slice(long offset, long length) {
        return new SliceBlockStore(this, offset, length);
    }

    /** Fails with a message naming the store when {@code offset+length} leaves {@code [0, size)}. */
    static void checkRange(BlockStore store, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > store.size() - length) {
            throw new IOException(store.describe() + ": range " + offset + "+" + length
                    + " is outside the device (size " + store.size() + " bytes)");
        }
    }
}
