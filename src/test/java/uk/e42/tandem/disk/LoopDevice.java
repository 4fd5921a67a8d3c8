package uk.e42.tandem.disk;

import java.nio.file.Path;
import uk.e42.tandem.e2e.Tools;

/** A loop device over a file for the length of a test (needs root: use with {@code @E2e(loop = true)}). */
public final class LoopDevice implements AutoCloseable {
    private final Path device;

    private LoopDevice(Path device) {
        this.device = device;
    }

    public static LoopDevice attach(Path file) {
        String name = Tools.run("losetup", "--find", "--show", file.toString()).orFail().stdout().trim();
        return new LoopDevice(Path.of(name));
    }

    public Path path() {
        return device;
    }

    @Override
    public void close() {
        Tools.run("losetup", "--detach", device.toString()).orFail();
    }
}
