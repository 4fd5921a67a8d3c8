package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.e2e.LoopbackPair.awaitStatus;
import static uk.e42.tandem.e2e.LoopbackPair.disk;
import static uk.e42.tandem.e2e.LoopbackPair.nbd;
import static uk.e42.tandem.e2e.LoopbackPair.sha256;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
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

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    LoopbackPair pair(char protocol) throws Exception {
        return new LoopbackPair(cluster, "protocol " + protocol + "; cram-hmac-alg sha1; shared-secret \"joshua\";",
                Map.of()).up();
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(chars = {'A', 'C'})
    void seedFullSyncThenReplicatedWritesThenRebootWithoutResync(char protocol) throws Exception {
        LoopbackPair pair = pair(protocol);
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        String fresh = """
                replicated0 role:Secondary
                  disk:Inconsistent
                  peer role:Secondary
                    replication:Established peer-disk:Inconsistent

                """;
        awaitStatus(rosaria, fresh::equals);
        awaitStatus(paimon, fresh::equals);

        rosaria.cli("--", "--overwrite-data-of-peer", "primary", "replicated0").orFail();
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
        pair.awaitEqualDisks(bytes.length);
        assertEquals(sha256(data, bytes.length), sha256(disk(paimon), bytes.length));

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
        LoopbackPair pair = pair(protocol);
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        awaitStatus(paimon, s -> s.contains("peer-disk:Inconsistent"));
        rosaria.cli("--", "--overwrite-data-of-peer", "primary", "replicated0").orFail();
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
        pair.awaitEqualDisks(LoopbackPair.DATA_BYTES);
    }
}
