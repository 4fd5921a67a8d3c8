package uk.e42.tandem.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/** The data area in front of a device's internal meta data; see {@link BlockStore#dataArea(LongSupplier)}. */
final class DataAreaBlockStore implements BlockStore {
    private final BlockStore device;
    private final LongSupplier length;

    DataAreaBlockStore(BlockStore device, LongSupplier length) {
        this.device = device;
        this.length = length;
    }

    @Override
    public long size() {
        return Math.min(length.getAsLong(), device.size());
    }

    @Override
    public BlockStore uncached() {
        BlockStore uncachedDevice = device.uncached();
        return uncachedDevice == device ? this : new DataAreaBlockStore(uncachedDevice, length);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        BlockStore.checkRange(this, offset, dst.remaining());
        device.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        BlockStore.checkRange(this, offset, src.remaining());
        device.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        device.flush();
    }

    @Override
    public void discard(long offset, long len) throws IOException {
        BlockStore.checkRange(this, offset, len);
        device.discard(offset, len);
    }

    @Override
    public void writeZeroes(long offset, long len) throws IOException {
        BlockStore.checkRange(this, offset, len);
        device.writeZeroes(offset, len);
    }

    @Override
    public String describe() {
        return device.describe() + "[data area]";
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public void close() {
        // The device belongs to whoever opened it.
    }
}
