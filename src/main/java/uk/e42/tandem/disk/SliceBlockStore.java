package uk.e42.tandem.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A window of another store; see {@link BlockStore#slice(long, long)}. */
final class SliceBlockStore implements BlockStore {
    private final BlockStore parent;
    private final long start;
    private final long length;

    SliceBlockStore(BlockStore parent, long start, long length) {
        if (start < 0 || length < 0 || start > parent.size() - length) {
            throw new IllegalArgumentException(parent.describe() + ": a slice of " + length + " bytes at " + start
                    + " does not fit in " + parent.size() + " bytes");
        }
        this.parent = parent;
        this.start = start;
        this.length = length;
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        BlockStore.checkRange(this, offset, dst.remaining());
        parent.read(start + offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        BlockStore.checkRange(this, offset, src.remaining());
        parent.write(start + offset, src);
    }

    @Override
    public void flush() throws IOException {
        parent.flush();
    }

    @Override
    public void discard(long offset, long len) throws IOException {
        BlockStore.checkRange(this, offset, len);
        parent.discard(start + offset, len);
    }

    @Override
    public void writeZeroes(long offset, long len) throws IOException {
        BlockStore.checkRange(this, offset, len);
        parent.writeZeroes(start + offset, len);
    }

    @Override
    public String describe() {
        return parent.describe() + "[+" + start + "]";
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public void close() {
        // The parent belongs to whoever opened it.
    }
}
