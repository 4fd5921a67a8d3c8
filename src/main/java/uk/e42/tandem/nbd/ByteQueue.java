package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Framing: the bytes a client sent and nobody consumed yet, as the chunks the socket delivered (no
 * copy on arrival). Decoders take exactly the frame they need; what they leave stays queued. Only
 * the connection's event loop touches it.
 */
final class ByteQueue {
    private final ArrayDeque<ByteBuffer> chunks = new ArrayDeque<>();
    private long available;

    /** Queues {@code chunk}'s remaining bytes; the queue owns the buffer from now on. */
    void add(ByteBuffer chunk) {
        if (chunk.hasRemaining()) {
            chunks.add(chunk);
            available += chunk.remaining();
        }
    }

    long available() {
        return available;
    }

    /** The next {@code n} bytes as a buffer of their own, or null when fewer are queued. */
    ByteBuffer take(int n) {
        if (available < n) {
            return null;
        }
        ByteBuffer first = chunks.peek();
        if (first != null && first.remaining() >= n) {
            ByteBuffer frame = first.slice(first.position(), n);
            consume(first, n);
            return frame;
        }
        ByteBuffer frame = ByteBuffer.allocate(n);
        fill(frame);
        return frame.flip();
    }

    /** Copies queued bytes into {@code dst} until it is full or the queue is empty. */
    void fill(ByteBuffer dst) {
        while (dst.hasRemaining() && !chunks.isEmpty()) {
            ByteBuffer first = chunks.peek();
            int n = Math.min(dst.remaining(), first.remaining());
            dst.put(dst.position(), first, first.position(), n);
            dst.position(dst.position() + n);
            consume(first, n);
        }
    }

    /** Drops up to {@code n} queued bytes; returns how many were dropped. */
    long skip(long n) {
        long skipped = 0;
        while (skipped < n && !chunks.isEmpty()) {
            ByteBuffer first = chunks.peek();
            int step = (int) Math.min(n - skipped, first.remaining());
            consume(first, step);
            skipped += step;
        }
        return skipped;
    }

    void clear() {
        chunks.clear();
        available = 0;
    }

    private void consume(ByteBuffer first, int n) {
        first.position(first.position() + n);
        available -= n;
        if (!first.hasRemaining()) {
            chunks.poll();
        }
    }
}
