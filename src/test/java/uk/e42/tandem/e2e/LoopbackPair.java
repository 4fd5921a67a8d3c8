package uk.e42.tandem.e2e;

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

    /**
     * @param net extra statements for the common net section, e.g. the after-sb policies
     */
    LoopbackPair(TandemCluster cluster, String net) throws IOException {
        this.cluster = cluster;
        Path root = cluster.root();
        Path key = root.resolve("static.key");
        rosaria = cluster.node("rosaria");
        paimon = cluster.node("paimon");
        Files.writeString(root.resolve("drbd.conf"), """
                global { usage-count no; }
                common {
                    net { protocol C; cram-hmac-alg sha1; shared-secret "joshua"; %s }
                    disk { c-plan-ahead 0; resync-rate 100M; }
                }
                resource replicated0 {
                    device /dev/drbd0;
                    meta-disk internal;
                    on rosaria { disk %s; address 127.0.0.1:%d; }
                    on paimon  { disk %s; address 127.0.0.1:%d; }
                }
                """.formatted(net, rosaria.dir().resolve("disk.img"), TandemNode.freePort(),
                paimon.dir().resolve("disk.img"), TandemNode.freePort()));
        for (TandemNode node : nodes()) {
            try (var file = new RandomAccessFile(node.dir().resolve("disk.img").toFile(), "rw")) {
                file.setLength(DISK_BYTES);
            }
            node.env("TANDEM_CONFIG", root.resolve("drbd.conf").toString()).env("TANDEM_TLS_KEY_FILE", key.toString());
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
        ReplicationIT.awaitStatus(paimon, s -> s.contains("peer-disk:Inconsistent"));
        rosaria.cli("primary", "--force", "replicated0").orFail();
        ReplicationIT.awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
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
        String mine = ReplicationIT.sha256(rosaria.dir().resolve("disk.img"), DATA_BYTES);
        String theirs = ReplicationIT.sha256(paimon.dir().resolve("disk.img"), DATA_BYTES);
        while (!mine.equals(theirs) && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
            mine = ReplicationIT.sha256(rosaria.dir().resolve("disk.img"), DATA_BYTES);
            theirs = ReplicationIT.sha256(paimon.dir().resolve("disk.img"), DATA_BYTES);
        }
        assertEquals(mine, theirs, "the data areas of both disks are equal");
    }
}
