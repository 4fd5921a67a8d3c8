package uk.e42.tandem.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Framing on a blocking channel: the bytes a client sent, read through one staging buffer so a small
 * request and the headers behind it cost one read. A large payload goes straight from the socket into
 * the buffer it will be written from, with no copy through the staging buffer. Only the thread whose
 * turn it is to read uses it; the turn passes through an executor, which orders the accesses.
 */
final class ChannelInput {
    /** Big enough for any negotiation frame ({@link Negotiation#MAX_OPTION_DATA}) and a 4 KiB write with its header. */
    static final int STAGING = 64 * 1024;

    private final ReadableByteChannel channel;
    /** Unconsumed bytes between position and limit. */
    private final ByteBuffer staging;

    ChannelInput(ReadableByteChannel channel) {
        this.channel = channel;
        this.staging = ByteBuffer.allocateDirect(STAGING).flip();
    }

    /** Whether bytes already read wait to be consumed (another request may be complete without a read). */
    boolean hasBuffered() {
        return staging.hasRemaining();
    }

    /**
     * The next {@code n} bytes ({@code n <= STAGING}), blocking until they arrived. The buffer is a view of
     * the staging buffer: it is valid until the next call.
     */
    ByteBuffer frame(int n) throws IOException {
        if (n > STAGING) {
            throw new IllegalArgumentException("frame of " + n + " bytes is larger than the " + STAGING + "-byte staging buffer");
        }
        while (staging.remaining() < n) {
            readIntoStaging();
        }
        ByteBuffer frame = staging.slice(staging.position(), n);
        staging.position(staging.position() + n);
        return frame;
    }

    /** Fills {@code dst} completely: buffered bytes first, then the channel's. */
    void fill(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (!staging.hasRemaining()) {
                if (dst.remaining() >= STAGING / 2) {
                    // A large remainder: read it in place instead of through the staging buffer.
                    if (channel.read(dst) < 0) {
                        throw new EOFException("the client closed the connection in the middle of a request");
                    }
                    continue;
                }
                readIntoStaging();
            }
            int n = Math.min(dst.remaining(), staging.remaining());
            dst.put(dst.position(), staging, staging.position(), n);
            dst.position(dst.position() + n);
            staging.position(staging.position() + n);
        }
    }

    /** Reads and drops {@code n} bytes. */
    void skip(long n) throws IOException {
        for (long left = n; left > 0; ) {
            if (!staging.hasRemaining()) {
                readIntoStaging();
            }
            int step = (int) Math.min(left, staging.remaining());
            staging.position(staging.position() + step);
            left -= step;
        }
    }

    private void readIntoStaging() throws IOException {
        staging.compact();
        try {
            if (channel.read(staging) < 0) {
                throw new EOFException("the client closed the connection");
            }
        } finally {
            staging.flip();
        }
    }
}
