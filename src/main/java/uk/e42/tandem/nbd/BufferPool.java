package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Direct buffers for request payloads and read data, recycled by power-of-two size class so a busy
 * connection neither zeroes a fresh megabyte per request nor makes FileChannel copy heap bytes into
 * a temporary direct buffer. What it keeps is bounded: about {@link #RETAINED_PER_CLASS} bytes per class.
 */
final class BufferPool {
    static final int SMALLEST = 4096;
    /** Extra bytes on every buffer, so a power-of-two read plus its reply header still fits its class. */
    static final int SLACK = 64;
    static final int RETAINED_PER_CLASS = 8 << 20;
    private final ArrayBlockingQueue<ByteBuffer>[] classes;

    @SuppressWarnings("unchecked")
    BufferPool(int largest) {
        int count = classOf(largest) + 1;
        classes = new ArrayBlockingQueue[count];
        for (int i = 0; i < count; i++) {
            int size = SMALLEST << i;
            classes[i] = new ArrayBlockingQueue<>(Math.max(1, RETAINED_PER_CLASS / size));
        }
    }

    /** A buffer with position 0 and limit {@code size}; its capacity may be larger. */
    ByteBuffer acquire(int size) {
        int c = classOf(Math.max(size - SLACK, 1));
        ByteBuffer buffer = c < classes.length ? classes[c].poll() : null;
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect((SMALLEST << c) + SLACK);
        }
        return buffer.clear().limit(size);
    }

    /** Gives a buffer back; it must not be used afterwards. Buffers not from this pool are ignored. */
    void release(ByteBuffer buffer) {
        if (buffer == null) {
            return;
        }
        int size = buffer.capacity() - SLACK;
        if (!buffer.isDirect() || Integer.bitCount(size) != 1 || size < SMALLEST) {
            return;
        }
        int c = classOf(size);
        if (c < classes.length) {
            classes[c].offer(buffer);
        }
    }

    private static int classOf(int size) {
        if (size <= SMALLEST) {
            return 0;
        }
        return 32 - Integer.numberOfLeadingZeros(size - 1) - Integer.numberOfTrailingZeros(SMALLEST);
    }
}
