package uk.e42.tandem.e2e;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;

/**
 * rosaria and paimon as two daemons on loopback with file-backed disks and internal meta data,
 * brought to the seed's state after the initial full sync: rosaria Primary, both UpToDate.
 */
final class LoopbackPair {
    static final long DISK_BYTES = 32L << 20;
    /** The data area both disks must agree on: internal meta data lives in the last part of the file. */
    static final long DATA_BYTES = DISK_BYTES - (1L << 20);

    final TandemCluster cluster;
    final TandemNode rosaria;
    final TandemNode paimon;
    final int rosariaPort = TandemNode.freePort();
    final int paimonPort = TandemNode.freePort();

    /**
     * @param net extra statements for the common net section, e.g. the after-sb policies
     */
    LoopbackPair(TandemCluster cluster, String net) throws IOException {
        this(cluster, "protocol C; cram-hmac-alg sha1; shared-secret \"joshua\"; " + net, Map.of());
    }

    /**
     * @param netSection the whole common net section's statements
     * @param env        extra settings for both daemons (e.g. TANDEM_TLS_MODE)
     */
    LoopbackPair(TandemCluster cluster, String netSection, Map<String, String> env) throws IOException {
        this.cluster = cluster;
        Path root = cluster.root();
        Path key = root.resolve("static.key");
        rosaria = cluster.node("rosaria");
        paimon = cluster.node("paimon");
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
                """.formatted(netSection, disk(rosaria), rosariaPort, disk(paimon), paimonPort));
        for (TandemNode node : nodes()) {
            try (var file = new RandomAccessFile(node.dir().resolve("disk.img").toFile(), "rw")) {
                file.setLength(DISK_BYTES);
            }
            node.env("TANDEM_CONFIG", root.resolve("drbd.conf").toString()).env("TANDEM_TLS_KEY_FILE", key.toString());
            env.forEach(node::env);
        }
        rosaria.cli("genkey", "secret", key.toString()).orFail();
    }

    /** Gives paimon its own copy of drbd.conf with {@code from} replaced by {@code to}. */
    void paimonConfig(String from, String to) throws IOException {
        Path shared = cluster.root().resolve("drbd.conf");
        Path own = paimon.dir().resolve("drbd.conf");
        String text = Files.readString(shared);
        if (!text.contains(from)) {
            throw new IllegalArgumentException("drbd.conf has no " + from);
        }
        Files.writeString(own, text.replace(from, to));
        paimon.env("TANDEM_CONFIG", own.toString());
    }

    /** Changes the drbd.conf both nodes read (before they start): {@code from} replaced by {@code to}. */
    void editConfig(String from, String to) throws IOException {
        Path shared = cluster.root().resolve("drbd.conf");
        String text = Files.readString(shared);
        if (!text.contains(from)) {
            throw new IllegalArgumentException("drbd.conf has no " + from);
        }
        Files.writeString(shared, text.replace(from, to));
    }

    /**
     * Gives {@code node} a fault-injecting backing disk (docs/fault-injection.md) driven by the returned
     * plan file, which starts empty (a healthy disk). Call before the node starts.
     */
    static Path faultInjection(TandemNode node) throws IOException {
        Path plan = node.dir().resolve("faults");
        Files.writeString(plan, "");
        node.env("TANDEM_FAULT_INJECTION_ENABLED", "true").env("TANDEM_FAULT_INJECTION_FILE", plan.toString());
        return plan;
    }

    /**
     * Writes a fault plan (disk.FaultPlan's format; "" heals) and waits until the daemon applied it.
     */
    static void injectFaults(TandemNode node, Path plan, String faults) throws IOException {
        int applied = countOf(node.logText(), "fault injection: replicated0:");
        Files.writeString(plan, faults);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (countOf(node.logText(), "fault injection: replicated0:") == applied) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(node.name() + " did not apply the fault plan: " + faults);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    private static int countOf(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    TandemNode[] nodes() {
        return new TandemNode[] {rosaria, paimon};
    }

    /** create-md, start and up on both. */
    LoopbackPair up() {
        for (TandemNode node : nodes()) {
            node.cli("create-md", "--force", "replicated0").orFail();
            node.start();
        }
        for (TandemNode node : nodes()) {
            node.awaitLive(Duration.ofSeconds(60));
            node.cli("up", "replicated0").orFail();
        }
        return this;
    }

    /** {@link #up()}, then rosaria becomes Primary with --force and paimon syncs to UpToDate. */
    LoopbackPair synced() {
        up();
        awaitStatus(paimon, s -> s.contains("peer-disk:Inconsistent"));
        rosaria.cli("primary", "--force", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        return this;
    }

    /** Writes {@code bytes} pseudo-random bytes (from {@code seed}) at {@code offset} through node's NBD export. */
    byte[] write(TandemNode node, long offset, int bytes, long seed) throws IOException {
        byte[] data = new byte[bytes];
        new Random(seed).nextBytes(data);
        Path file = cluster.root().resolve("w-" + seed + ".img");
        Files.write(file, data);
        // qemu-io writes at an offset through the export; nbdcopy would start at 0.
        Tools.run("qemu-io", "-f", "raw", "-c", "write -s " + file + " " + offset + " " + bytes,
                "nbd://127.0.0.1:" + node.nbdPort() + "/replicated0").orFail();
        return data;
    }

    /** Bytes of a node's backing file at offset. */
    byte[] read(TandemNode node, long offset, int bytes) throws IOException {
        try (var file = new RandomAccessFile(node.dir().resolve("disk.img").toFile(), "r")) {
            byte[] data = new byte[bytes];
            file.seek(offset);
            file.readFully(data);
            return data;
        }
    }

    /** Waits until the data areas of both backing files are equal, then asserts it. */
    void awaitEqualDisks() throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        String mine = sha256(rosaria.dir().resolve("disk.img"), DATA_BYTES);
        String theirs = sha256(paimon.dir().resolve("disk.img"), DATA_BYTES);
        while (!mine.equals(theirs) && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
            mine = sha256(rosaria.dir().resolve("disk.img"), DATA_BYTES);
            theirs = sha256(paimon.dir().resolve("disk.img"), DATA_BYTES);
        }
        assertEquals(mine, theirs, "the data areas of both disks are equal");
    }

    static Path disk(TandemNode node) {
        return node.dir().resolve("disk.img");
    }

    static String nbd(TandemNode node) {
        return "nbd://127.0.0.1:" + node.nbdPort() + "/replicated0";
    }

    /** Waits until the first {@code bytes} of both disks are equal (protocol A may still be delivering). */
    void awaitEqualDisks(long bytes) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        String mine = sha256(disk(rosaria), bytes);
        String theirs = sha256(disk(paimon), bytes);
        while (!mine.equals(theirs) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            theirs = sha256(disk(paimon), bytes);
        }
        assertEquals(mine, theirs, "both disks hold what the client wrote in their first " + bytes + " bytes");
    }

    static String awaitStatus(TandemNode node, Predicate<String> wanted) {
        return awaitOutput(node, wanted, "status", "replicated0");
    }

    /** Waits until {@code tandem proc} (/proc/drbd) shows what is wanted; returns it. */
    static String awaitProc(TandemNode node, Predicate<String> wanted) {
        return awaitOutput(node, wanted, "proc");
    }

    private static String awaitOutput(TandemNode node, Predicate<String> wanted, String... verb) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            last = node.cli(verb).stdout();
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
        throw new AssertionError(node.name() + ": " + verb[0] + " never became what was expected; last:\n" + last);
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
