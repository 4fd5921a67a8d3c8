package uk.e42.tandem.e2e;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One host's LVM volume group {@code local} as the seed makes it ({@code lvcreate -n drbdmeta local},
 * {@code lvcreate -n replicated0 local}), built from loop devices over sparse files: a directory of
 * symlinks {@code NAME -> /dev/loopN}, which {@link TandemNode#localDevices(Path)} shows to the
 * host's processes as {@code /dev/local} (LVM's {@code /dev/VG/LV} are symlinks too). Close it to
 * detach the loop devices and delete their files.
 */
final class LocalVolumes implements AutoCloseable {
    /** The seed's volume group directory; made empty if missing, removed again if this made it. */
    static final Path DEV_LOCAL = Path.of("/dev/local");

    private final Path dir;
    private final Path files;
    private final Map<String, Path> loops = new LinkedHashMap<>();
    private final Map<String, Path> images = new LinkedHashMap<>();

    LocalVolumes(Path root) throws IOException {
        this.files = Files.createDirectories(root);
        this.dir = Files.createDirectories(root.resolve("dev-local"));
    }

    /** The directory to bind on /dev/local. */
    Path dir() {
        return dir;
    }

    /** {@code lvcreate -L BYTES -n NAME local}: a sparse file, a loop device, the symlink; returns the loop device. */
    Path create(String name, long bytes) throws IOException {
        Path file = files.resolve(name + ".img");
        try (var raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(bytes);
        }
        Path loop = Path.of(Tools.run("losetup", "--find", "--show", file.toString()).orFail().stdout().strip());
        loops.put(name, loop);
        images.put(name, file);
        Files.createSymbolicLink(dir.resolve(name), loop);
        return loop;
    }

    /** The loop device behind {@code /dev/local/NAME}, readable from the test's own namespace. */
    Path device(String name) {
        Path loop = loops.get(name);
        if (loop == null) {
            throw new IllegalArgumentException("no volume " + name + " in " + loops.keySet());
        }
        return loop;
    }

    /** Makes /dev/local if it is missing; true when this call made it (the caller removes it). */
    static boolean ensureDevLocal() throws IOException {
        if (Files.isDirectory(DEV_LOCAL)) {
            return false;
        }
        Files.createDirectory(DEV_LOCAL);
        return true;
    }

    @Override
    public void close() {
        // A loop device still open (a daemon that outlived its test) is detached when its last user closes it.
        loops.values().forEach(loop -> Tools.run("losetup", "--detach", loop.toString()));
        loops.clear();
        // Synced volumes are no longer sparse: do not leave ~100 MB per run in /tmp.
        for (Path image : images.values()) {
            try {
                Files.deleteIfExists(image);
            } catch (IOException e) {
                System.err.println("cannot delete " + image + ": " + e);
            }
        }
        images.clear();
    }
}
