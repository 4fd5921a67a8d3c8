package uk.e42.tandem.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The seed's pair, rosaria and paimon, as two daemons on loopback with file-backed disks and one
 * drbd.conf (as deploy/local-pair.sh runs them): metadata created, both up, not yet synced.
 */
final class LocalPair {
    static final long DISK_BYTES = 32L << 20;

    final TandemNode rosaria;
    final TandemNode paimon;
    final int rosariaPort;
    final int paimonPort;

    /**
     * @param net the drbd.conf net options (inside common's net section)
     * @param env extra settings for both daemons (e.g. TANDEM_TLS_MODE)
     */
    LocalPair(TandemCluster cluster, String net, Map<String, String> env) throws IOException {
        Path root = cluster.root();
        Path key = root.resolve("static.key");
        rosaria = cluster.node("rosaria");
        paimon = cluster.node("paimon");
        rosariaPort = TandemNode.freePort();
        paimonPort = TandemNode.freePort();
        Files.writeString(root.resolve("drbd.conf"), """
                global { usage-count no; }
                common {
                    net { %s }
                    disk { c-plan-ahead 0; resync-rate 100M; }
                }
                resource replicated0 {
                    device /dev/drbd0;
                    meta-disk internal;
                    on rosaria { disk %s; address 127.0.0.1:%d; }
                    on paimon  { disk %s; address 127.0.0.1:%d; }
                }
                """.formatted(net, disk(rosaria), rosariaPort, disk(paimon), paimonPort));
        for (TandemNode node : nodes()) {
            try (RandomAccessFile file = new RandomAccessFile(disk(node).toFile(), "rw")) {
                file.setLength(DISK_BYTES);
            }
            node.env("TANDEM_CONFIG", root.resolve("drbd.conf").toString()).env("TANDEM_TLS_KEY_FILE", key.toString());
            env.forEach(node::env);
        }
        rosaria.cli("genkey", "secret", key.toString()).orFail();
        for (TandemNode node : nodes()) {
            node.cli("create-md", "--force", "replicated0").orFail();
            node.start();
        }
        for (TandemNode node : nodes()) {
            node.awaitLive(Duration.ofSeconds(60));
        }
        for (TandemNode node : nodes()) {
            node.cli("up", "replicated0").orFail();
        }
    }

    TandemNode[] nodes() {
        return new TandemNode[] {rosaria, paimon};
    }

    static Path disk(TandemNode node) {
        return node.dir().resolve("disk.img");
    }

    static String nbd(TandemNode node) {
        return "nbd://127.0.0.1:" + node.nbdPort() + "/replicated0";
    }

    /** rosaria becomes Primary with --overwrite-data-of-peer; returns once paimon is UpToDate. */
    void initialSync() {
        rosaria.cli("--", "--overwrite-data-of-peer", "primary", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate\n"));
        awaitStatus(rosaria, s -> s.contains("peer-disk:UpToDate"));
    }

    static String awaitStatus(TandemNode node, Predicate<String> wanted) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            last = node.cli("status", "replicated0").stdout();
            if (wanted.test(last)) {
                return last;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError(node.name() + ": status never became what was expected; last:\n" + last);
    }

    /** Waits until both disks hold the same first {@code bytes} (protocol A may still be delivering). */
    void awaitEqualDisks(long bytes) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        String mine = sha256(disk(rosaria), bytes);
        String theirs = sha256(disk(paimon), bytes);
        while (!mine.equals(theirs) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            theirs = sha256(disk(paimon), bytes);
        }
        if (!mine.equals(theirs)) {
            throw new AssertionError("the disks differ in their first " + bytes + " bytes");
        }
    }

    static String sha256(Path file, long bytes) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            long left = bytes;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    break;
                }
                digest.update(buffer, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
