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
}
