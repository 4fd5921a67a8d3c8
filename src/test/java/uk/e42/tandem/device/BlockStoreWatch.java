package uk.e42.tandem.device;

import java.io.IOException;
import java.nio.ByteBuffer;

import uk.e42.tandem.disk.BlockStore;

/** A disk that tells a test each time a write reaches it, before the write; closing it leaves the disk open. */
final class BlockStoreWatch implements BlockStore {
    private final BlockStore disk;
    private final Runnable beforeWrite;

    BlockStoreWatch(BlockStore disk, Runnable beforeWrite) {
        this.disk = disk;
        this.beforeWrite = beforeWrite;
    }

    @Override
    public long size() {
        return disk.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        disk.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        beforeWrite.run();
        disk.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        disk.flush();
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        disk.discard(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        disk.writeZeroes(offset, length);
    }

    @Override
    public void close() {
    }
}
