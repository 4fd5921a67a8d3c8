package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two real daemons on loopback with file-backed disks, as deploy/local-pair.sh runs them: the
 * seed's initial full sync, replicated writes through NBD, the "reboot" without resync, and a
 * bitmap resync that moves only what was written while the peer was away.
 */
@E2e(tools = {"nbdcopy", "nbdinfo"})
class ReplicationIT {
    static final long DISK_BYTES = 32L << 20;

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    TandemNode rosaria;
    TandemNode paimon;

    void pair(char protocol) throws IOException {
        Path root = cluster.root();
        Path key = root.resolve("static.key");
        rosaria = cluster.node("rosaria");
        paimon = cluster.node("paimon");
        int rosariaPort = TandemNode.freePort();
        int paimonPort = TandemNode.freePort();
        Files.writeString(root.resolve("drbd.conf"), """
                global { usage-count no; }
                common {
                    net { protocol %c; cram-hmac-alg sha1; shared-secret "joshua"; }
                    disk { c-plan-ahead 0; resync-rate 100M; }
                }
                resource replicated0 {
                    device /dev/drbd0;
                    meta-disk internal;
                    on rosaria { disk %s; address 127.0.0.1:%d; }
                    on paimon  { disk %s; address 127.0.0.1:%d; }
                }
                """.formatted(protocol, rosaria.dir().resolve("disk.img"), rosariaPort,
                paimon.dir().resolve("disk.img"), paimonPort));
        for (TandemNode node : new TandemNode[] {rosaria, paimon}) {
            try (var file = new java.io.RandomAccessFile(node.dir().resolve("disk.img").toFile(), "rw")) {
                file.setLength(DISK_BYTES);
            }
            node.env("TANDEM_CONFIG", root.resolve("drbd.conf").toString()).env("TANDEM_TLS_KEY_FILE", key.toString());
        }
        rosaria.cli("genkey", "secret", key.toString()).orFail();
        for (TandemNode node : new TandemNode[] {rosaria, paimon}) {
            node.cli("create-md", "--force", "replicated0").orFail();
            node.start();
        }
        rosaria.awaitLive(Duration.ofSeconds(60));
        paimon.awaitLive(Duration.ofSeconds(60));
        rosaria.cli("up", "replicated0").orFail();
        paimon.cli("up", "replicated0").orFail();
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(chars = {'A', 'C'})
    void seedFullSyncThenReplicatedWritesThenRebootWithoutResync(char protocol) throws Exception {
        pair(protocol);
        String fresh = """
                replicated0 role:Secondary
                  disk:Inconsistent
                  peer role:Secondary
                    replication:Established peer-disk:Inconsistent

                """;
        awaitStatus(rosaria, fresh::equals);
        awaitStatus(paimon, fresh::equals);

        rosaria.cli("--", "--overwrite-data-of-peer", "primary", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertEquals("""
                replicated0 role:Secondary
                  disk:UpToDate
                  peer role:Primary
                    replication:Established peer-disk:UpToDate

                """, awaitStatus(paimon, s -> s.contains("disk:UpToDate\n")));
        assertTrue(rosaria.logText().contains("uuid_compare()=2 by rule 30"), "full sync by rule 30");
        assertTrue(paimon.logText().contains("uuid_compare()=-2 by rule 20"), "full sync by rule 20");

        Path data = cluster.root().resolve("data.img");
        byte[] bytes = new byte[(int) (8L << 20)];
        new Random(42).nextBytes(bytes);
        Files.write(data, bytes);
        Tools.run("nbdcopy", data.toString(), nbd(rosaria)).orFail();
        rosaria.cli("secondary", "replicated0").orFail();
        // Protocol A completes before the peer has the data; it arrives in order soon after.
        awaitEqualDisks(bytes.length);
        assertEquals(sha256(data, bytes.length), sha256(paimon.dir().resolve("disk.img"), bytes.length));

        // The seed's reboot: both come back Secondary and reconnect UpToDate/UpToDate without a resync.
        rosaria.stop();
        paimon.stop();
        rosaria.start().awaitLive(Duration.ofSeconds(60));
        paimon.start().awaitLive(Duration.ofSeconds(60));
        rosaria.cli("up", "replicated0").orFail();
        rosaria.cli("primary", "replicated0").orFail();
        paimon.cli("up", "replicated0").orFail();
        awaitStatus(rosaria, """
                replicated0 role:Primary
                  disk:UpToDate
                  peer role:Secondary
                    replication:Established peer-disk:UpToDate

                """::equals);
        String afterReboot = paimon.logText().substring(paimon.logText().lastIndexOf("=== start 2"));
        // rosaria's promotion while alone started a new generation (rule 70 on reconnect): DRBD runs a bitmap
        // resync of the blocks written meanwhile, here none.
        assertTrue(afterReboot.lines().filter(l -> l.contains("Began resync"))
                .allMatch(l -> l.contains("will sync 0 KB [0 bits set]")), "no data resynced after the reboot:\n"
                + afterReboot);
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(chars = {'C'})
    void writesWhilePeerAwayResyncOnlyTheDirtyBlocks(char protocol) throws Exception {
        pair(protocol);
        awaitStatus(paimon, s -> s.contains("peer-disk:Inconsistent"));
        rosaria.cli("primary", "--force", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate"));

        paimon.cli("disconnect", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("peer connection:Connecting"));
        Path data = cluster.root().resolve("dirty.img");
        byte[] bytes = new byte[1 << 20];
        new Random(7).nextBytes(bytes);
        Files.write(data, bytes);
        Tools.run("nbdcopy", data.toString(), nbd(rosaria)).orFail();
        String proc = rosaria.cli("proc").orFail().stdout();
        assertTrue(proc.contains(" oos:1024\n"), "1 MiB marked out of sync while the peer is away:\n" + proc);

        paimon.cli("connect", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertTrue(rosaria.logText().contains("Began resync as SyncSource (will sync 1024 KB [256 bits set])"),
                "only the dirty blocks move");
        rosaria.cli("secondary", "replicated0").orFail();
        awaitEqualDisks(DISK_BYTES - (1L << 20));
    }

    private void awaitEqualDisks(long bytes) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        String mine = sha256(rosaria.dir().resolve("disk.img"), bytes);
        String theirs = sha256(paimon.dir().resolve("disk.img"), bytes);
        while (!mine.equals(theirs) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            theirs = sha256(paimon.dir().resolve("disk.img"), bytes);
        }
        assertEquals(mine, theirs, "both disks hold what the client wrote");
    }

    private String nbd(TandemNode node) {
        return "nbd://127.0.0.1:" + node.nbdPort() + "/replicated0";
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
