package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import java.util.List;

/** A channel that hands out its bytes in the chunks given, the way a socket cuts a stream, then end of stream. */
final class ChunkedChannel implements ReadableByteChannel {
    private final ArrayDeque<ByteBuffer> chunks = new ArrayDeque<>();
    /** The largest number of bytes any one read returned. */
    int largestRead;
    int reads;

    ChunkedChannel(List<ByteBuffer> chunks) {
        chunks.forEach(c -> this.chunks.add(c.duplicate()));
    }

    static ChunkedChannel of(ByteBuffer... chunks) {
        return new ChunkedChannel(List.of(chunks));
    }

    @Override
    public int read(ByteBuffer dst) {
        ByteBuffer first = chunks.peek();
        if (first == null) {
            return -1;
        }
        reads++;
        int n = Math.min(dst.remaining(), first.remaining());
        dst.put(first.slice(first.position(), n));
        first.position(first.position() + n);
        if (!first.hasRemaining()) {
            chunks.poll();
        }
        largestRead = Math.max(largestRead, n);
        return n;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
