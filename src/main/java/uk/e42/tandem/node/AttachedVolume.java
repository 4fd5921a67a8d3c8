package uk.e42.tandem.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import uk.e42.tandem.device.ReplicatedVolume;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.disk.BlockStore;

/**
 * What the NBD export of a resource serves: its volume while a disk is attached. The export exists
 * from daemon start (clients find it by name); until {@code tandem up} it has size 0 and refuses I/O.
 */
final class AttachedVolume implements BlockStore {
    private final Resource resource;

    AttachedVolume(Resource resource) {
        this.resource = resource;
    }

    private ReplicatedVolume volume() throws IOException {
        return resource.volume().orElseThrow(() -> new IOException("resource " + resource.name()
                + " has no disk attached (tandem up " + resource.name() + ")"));
    }

    @Override
    public long size() {
        return resource.volume().map(ReplicatedVolume::size).orElse(0L);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        volume().read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        volume().write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        volume().flush();
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        volume().discard(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        volume().writeZeroes(offset, length);
    }

    @Override
    public String describe() {
        return "resource " + resource.name();
    }

    @Override
    public void close() {
        // The resource owns the volume.
    }
}
