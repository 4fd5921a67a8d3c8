package uk.e42.tandem.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * A node's NBD export as the seed's {@code /dev/drbd0} on a namespace host: {@code nbdfuse} turns
 * the export into a file, {@code losetup} into a block device, on which ext4 is made and mounted.
 * nbdfuse joins only the host's network namespace ({@code nsenter --net}), not the mount namespace
 * {@code ip netns exec} would give it, so its FUSE mount, the loop device and the ext4 mount are
 * visible to this test. Close it to undo all three, in reverse, even after the daemon died.
 */
final class NbdFilesystem implements AutoCloseable {
    private final Path fuseDir;
    private final Path mountPoint;
    private final Process nbdfuse;
    private final Path loop;
    private boolean mounted;
    private boolean closed;

    private NbdFilesystem(Path fuseDir, Path mountPoint, Process nbdfuse, Path loop) {
        this.fuseDir = fuseDir;
        this.mountPoint = mountPoint;
        this.nbdfuse = nbdfuse;
        this.loop = loop;
    }

    /** nbdfuse + losetup of export {@code replicated0} of the daemon in {@code host}, under {@code dir}. */
    static NbdFilesystem attach(NetnsHosts.Host host, TandemNode node, Path dir) throws IOException {
        Path fuseDir = Files.createDirectories(dir.resolve("fuse"));
        Path mountPoint = Files.createDirectories(dir.resolve("mnt"));
        Path pidFile = dir.resolve("nbdfuse.pid");
        Files.deleteIfExists(pidFile);
        Process nbdfuse = new ProcessBuilder("nsenter", "--net=/run/netns/" + host.namespace(), "nbdfuse", "-P",
                pidFile.toString(), fuseDir.toString(), "nbd://127.0.0.1:" + node.nbdPort() + "/replicated0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("nbdfuse.log").toFile())
                .redirectInput(new File("/dev/null")).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!Files.exists(pidFile) && nbdfuse.isAlive() && Instant.now().isBefore(deadline)) {
            sleep(50);
        }
        if (!Files.exists(pidFile)) {
            nbdfuse.destroyForcibly();
            throw new AssertionError("nbdfuse of " + node.name() + " never got ready:\n"
                    + Files.readString(dir.resolve("nbdfuse.log")));
        }
        Tools.Result losetup = Tools.run("losetup", "--find", "--show", fuseDir.resolve("nbd").toString());
        if (losetup.exitCode() != 0) {
            new NbdFilesystem(fuseDir, mountPoint, nbdfuse, null).close();
            losetup.orFail();
        }
        return new NbdFilesystem(fuseDir, mountPoint, nbdfuse, Path.of(losetup.stdout().strip()));
    }

    /** The seed's {@code mkfs.ext4 /dev/drbd0}, on the first {@code bytes} of the volume only. */
    NbdFilesystem mkfs(long bytes) {
        Tools.run("mkfs.ext4", "-q", "-F", loop.toString(), (bytes >> 10) + "k").orFail();
        return this;
    }

    /** The seed's {@code mount /dev/drbd0 /mnt/replicated0}; returns the mount point. */
    Path mount() {
        Tools.run("mount", "-t", "ext4", loop.toString(), mountPoint.toString()).orFail();
        mounted = true;
        return mountPoint;
    }

    Path mountPoint() {
        return mountPoint;
    }

    /** The seed's {@code umount /mnt/replicated0}. */
    void umount() {
        Tools.run("umount", mountPoint.toString()).orFail();
        mounted = false;
    }

    /** {@code e2fsck -f -n}: forced, read-only; exit 0 means clean. Needs the filesystem unmounted. */
    Tools.Result fsck() {
        return Tools.run("e2fsck", "-f", "-n", loop.toString());
    }

    /** Idempotent: a loop device detached once may belong to someone else a moment later. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (mounted) {
            // Lazy: a filesystem whose daemon was killed cannot be written back; never hang on it.
            if (Tools.run("umount", mountPoint.toString()).exitCode() != 0) {
                Tools.run("umount", "--lazy", mountPoint.toString());
            }
            mounted = false;
        }
        if (loop != null) {
            Tools.run("losetup", "--detach", loop.toString());
        }
        if (Tools.run("fusermount3", "-u", fuseDir.toString()).exitCode() != 0) {
            Tools.run("fusermount3", "-u", "-z", fuseDir.toString());
        }
        try {
            if (!nbdfuse.waitFor(10, TimeUnit.SECONDS)) {
                nbdfuse.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
