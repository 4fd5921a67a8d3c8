package uk.e42.tandem.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Files on a mounted volume and their SHA-256 sums: what must be there after a reboot, a switch-over or a crash. */
final class FileTree {
    private FileTree() {
    }

    /**
     * Writes {@code files} files of 1 to 64 KiB of pseudo-random bytes (from {@code seed}) in
     * subdirectories of {@code dir}, then syncs the filesystem; returns relative path → SHA-256.
     */
    static Map<String, String> write(Path dir, int files, long seed) throws IOException {
        Random random = new Random(seed);
        Map<String, String> sums = new TreeMap<>();
        for (int i = 0; i < files; i++) {
            String name = "d" + (i % 5) + "/sub" + (i % 3) + "/f" + i + ".bin";
            byte[] data = new byte[1024 + random.nextInt(63 * 1024)];
            random.nextBytes(data);
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            Files.write(file, data);
            sums.put(name, sha256(data));
        }
        Tools.run("sync", "-f", dir.toString()).orFail();
        return sums;
    }

    /** Every regular file under {@code dir} (lost+found aside): relative path → SHA-256. */
    static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String name = dir.relativize(file).toString();
                if (!name.startsWith("lost+found/")) {
                    sums.put(name, sha256(Files.readAllBytes(file)));
                }
            }
        }
        return sums;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A filesystem load in its own process (a daemon dying under it must not hang the test's
     * threads): writes new 16 KiB files one by one into {@code dir/name}, {@code sync}s each (fsync), and only then prints
     * its {@code sha256sum} line: every line is a file the filesystem promised was on stable storage.
     */
    static final class FsyncedWriter {
        private final Path out;
        private final String name;
        private final Process process;

        FsyncedWriter(Path dir, String name, Path out) throws IOException {
            this.out = out;
            this.name = name;
            Path load = Files.createDirectory(dir.resolve(name));
            // Its own session and process group, so that stop() reaches the loop's current child too.
            this.process = new ProcessBuilder("setsid", "sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); "
                    + "head -c 16384 /dev/urandom > f$i && sync f$i && sha256sum f$i || exit 1; done")
                    .directory(load.toFile()).redirectOutput(out.toFile())
                    .redirectError(out.resolveSibling(out.getFileName() + ".err").toFile())
                    .redirectInput(new File("/dev/null")).start();
        }

        /** The files synced so far: name (relative to the mount point) → SHA-256. */
        Map<String, String> synced() throws IOException {
            Map<String, String> sums = new LinkedHashMap<>();
            for (String line : Files.readAllLines(out)) {
                String[] parts = line.strip().split("\\s+");
                if (parts.length == 2) {
                    sums.put(name + "/" + parts[1], parts[0]);
                }
            }
            return sums;
        }

        void awaitSynced(int n) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (synced().size() < n && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (synced().size() < n) {
                throw new AssertionError("only " + synced().size() + " files synced of " + n);
            }
        }

        /**
         * Stops the writer and every process of its group. Killing only the shell would leave its
         * current {@code sync} or {@code head} running with its working directory in the mount, and a
         * following {@code umount} fails "target is busy".
         *
         * @return "" when all are gone, else {@code ps} lines of those still stuck in the kernel after
         *         30 s (expected on a volume whose daemon was killed)
         */
        String stop() throws InterruptedException {
            String group = Long.toString(process.pid());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String alive;
            do {
                Tools.run("pkill", "-KILL", "--session", group);
                // Zombies hold nothing; orphans are reaped by whoever is PID 1, maybe never in a container.
                alive = Tools.run("ps", "-o", "stat=,pid=,wchan=,args=", "--sid", group).stdout().lines()
                        .filter(line -> !line.startsWith("Z")).collect(Collectors.joining("\n"));
                if (alive.isEmpty()) {
                    return "";
                }
                Thread.sleep(10);
            } while (System.nanoTime() < deadline);
            return alive;
        }
    }
}
