package uk.e42.tandem.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/** The data area in front of a device's internal meta data; see {@link BlockStore#dataArea(LongSupplier)}. */
final class DataAreaBlockStore implements BlockStore {
    private final BlockStore device;
    private final LongSupplier length;
    /** Null until first asked (two threads asking at once make equal views: either will do). */
    private volatile BlockStore uncached;

    DataAreaBlockStore(BlockStore device, LongSupplier length) {
        this.device = device;
        this.length = length;
    }

    @Override
    public long size() {
        return Math.min(length.getAsLong(), device.size());
    }

    /** Asked for at every resync write: made once. */
    @Override
    public BlockStore uncached() {
        BlockStore view = uncached;
        if (view == null) {
            BlockStore uncachedDevice = device.uncached();
            view = uncachedDevice == device ? this : new DataAreaBlockStore(uncachedDevice, length);
            uncached = view;
        }
        return view;
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
