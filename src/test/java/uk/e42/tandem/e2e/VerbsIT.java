package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.e2e.LoopbackPair.awaitProc;
import static uk.e42.tandem.e2e.LoopbackPair.awaitStatus;
import static uk.e42.tandem.e2e.LoopbackPair.disk;
import static uk.e42.tandem.e2e.LoopbackPair.sha256;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * drbdadm's verify, invalidate and invalidate-remote on two real daemons: verify finds exactly the
 * blocks changed behind Tandem's back and marks them on both nodes without moving data; a reconnect
 * resyncs exactly those; invalidate on either side forces a full sync; the refusals in DRBD's words.
 */
@E2e
class VerbsIT {

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    /** Overwrites 4 KiB block {@code block} of a node's backing file directly: Tandem does not see it. */
    static void corrupt(TandemNode node, long block, long seed) throws IOException {
        byte[] data = new byte[4096];
        new Random(seed).nextBytes(data);
        try (RandomAccessFile file = new RandomAccessFile(disk(node).toFile(), "rw")) {
            file.seek(block * 4096);
            file.write(data);
        }
    }

    @Test
    void verifyFindsExactlyTheCorruptedBlocksAndAReconnectResyncsOnlyThose() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "verify-alg sha1;").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        // Blocks 10 and 11 (one run), 1000 and 5000, changed on the Secondary's disk behind Tandem's back.
        for (long block : new long[] {10, 11, 1000, 5000}) {
            corrupt(paimon, block, block);
        }

        rosaria.cli("verify", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        awaitStatus(paimon, s -> s.contains("replication:Established peer-disk:UpToDate"));
        for (TandemNode node : pair.nodes()) {
            String log = node.logText();
            assertTrue(log.contains("Online verify found 4 4k block out of sync!"), node.name() + ":\n" + log);
            assertTrue(log.contains("Out of sync: start=80, size=16 (sectors)"), node.name() + ":\n" + log);
            assertTrue(log.contains("Out of sync: start=8000, size=8 (sectors)"), node.name() + ":\n" + log);
            assertTrue(log.contains("Out of sync: start=40000, size=8 (sectors)"), node.name() + ":\n" + log);
            assertTrue(log.contains("Online verify done (total "), node.name() + ":\n" + log);
            String proc = node.cli("proc").orFail().stdout();
            assertTrue(proc.contains(" oos:16\n"), "4 blocks marked out of sync on " + node.name() + ":\n" + proc);
        }
        assertTrue(rosaria.logText().contains("Starting Online Verify from sector 0"), rosaria.logText());
        assertTrue(rosaria.logText().contains("conn( Connected -> VerifyS )"), rosaria.logText());
        assertTrue(paimon.logText().contains("conn( Connected -> VerifyT )"), paimon.logText());
        assertNotEquals(sha256(disk(rosaria), LoopbackPair.DATA_BYTES), sha256(disk(paimon), LoopbackPair.DATA_BYTES),
                "verify itself moves no data");

        paimon.cli("disconnect", "replicated0").orFail();
        paimon.cli("connect", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertTrue(rosaria.logText().contains("Began resync as SyncSource (will sync 16 KB [4 bits set])"),
                "exactly the 4 blocks verify found move:\n" + rosaria.logText());
        pair.awaitEqualDisks();

        Tools.Result beyond = rosaria.cli("verify", "--start", "99999999", "replicated0");
        assertEquals(1, beyond.exitCode(), beyond.stderr());
        assertTrue(beyond.stderr().startsWith("tandem verify: replicated0: --start 99999999 is beyond the end of the"
                + " device"), beyond.stderr());
    }

    @Test
    void invalidateAndInvalidateRemoteEachRunAFullSync() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;

        // No bitmap knows of these blocks: only a full sync repairs them.
        corrupt(paimon, 7, 1);
        corrupt(paimon, 6000, 2);
        paimon.cli("invalidate", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("replication:Established"));
        assertTrue(paimon.logText().contains("Began resync as SyncTarget (will sync "), paimon.logText());
        pair.awaitEqualDisks();

        corrupt(paimon, 100, 3);
        rosaria.cli("invalidate-remote", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertTrue(paimon.logText().contains("peer ran invalidate-remote: full sync as SyncTarget"),
                paimon.logText());
        pair.awaitEqualDisks();
    }

    /**
     * {@code pause-sync} before {@code invalidate-remote}, as in DRBD: the full sync starts paused
     * (PausedSyncS here, PausedSyncT on the peer) and moves nothing until {@code resume-sync}.
     */
    @Test
    void invalidateRemoteAfterPauseSyncStartsPausedAndWaitsForResumeSync() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;

        corrupt(paimon, 100, 4);
        rosaria.cli("pause-sync", "replicated0").orFail();
        rosaria.cli("invalidate-remote", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:PausedSyncS"));
        awaitStatus(paimon, s -> s.contains("replication:PausedSyncT"));
        // A resync at resync-rate 100M would be over well within this second, were it not paused.
        Thread.sleep(1000);
        String paused = rosaria.cli("status", "replicated0").orFail().stdout();
        assertTrue(paused.contains("replication:PausedSyncS peer-disk:Inconsistent done:0.00"), paused);
        assertTrue(paimon.cli("status", "replicated0").orFail().stdout().contains("replication:PausedSyncT"));

        rosaria.cli("resume-sync", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("replication:Established"));
        pair.awaitEqualDisks();
    }

    @Test
    void adjustAppliesChangedOptionsAndConnectsStandAloneResources() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "verify-alg sha1;").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        paimon.cli("disconnect", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("connection:StandAlone"));

        Path conf = cluster.root().resolve("drbd.conf");
        String text = Files.readString(conf);
        Files.writeString(conf, text.replace("protocol C;", "protocol A;")
                .replace("resync-rate 100M;", "resync-rate 4M;"));

        // paimon takes the new options and connects; rosaria still runs protocol C, so that handshake
        // fails ("incompatible protocol settings") and both stay StandAlone until rosaria is adjusted too.
        String paimonChanges = paimon.cli("adjust", "replicated0").orFail().stdout();
        assertTrue(paimonChanges.contains("replicated0: net: protocol C -> A"), paimonChanges);
        assertTrue(paimonChanges.contains("replicated0: disk: resync-rate 100M -> 4M"), paimonChanges);
        assertTrue(paimonChanges.contains("replicated0: connect"), paimonChanges);
        rosaria.cli("adjust", "replicated0").orFail();
        paimon.cli("adjust", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertTrue(rosaria.logText().contains("adjust: net: protocol C -> A"), rosaria.logText());
        String proc = rosaria.cli("proc").orFail().stdout();
        assertTrue(proc.contains("ds:UpToDate/UpToDate A r"), "protocol A in /proc/drbd:\n" + proc);

        // The new resync-rate paces the next verify (31 MiB at 4 MiB/s, then 2 MiB/s): its progress shows in
        // status and /proc/drbd.
        rosaria.cli("verify", "replicated0").orFail();
        String verifying = awaitStatus(rosaria, s -> s.contains("replication:VerifyS") && s.contains("done:"));
        assertTrue(verifying.contains("peer-disk:UpToDate"), verifying);
        String progress = rosaria.cli("proc").orFail().stdout();
        assertTrue(progress.contains("cs:VerifyS") && progress.contains("verified:")
                && progress.contains("want: 4,096 K/sec"), progress);
        awaitStatus(paimon, s -> s.contains("replication:VerifyT"));
        // adjust while it runs: the running verify takes the new rate at once, as DRBD's does.
        Files.writeString(conf, Files.readString(conf)
                .replace("resync-rate 4M;", "resync-rate 2M;"));
        String slower = rosaria.cli("adjust", "replicated0").orFail().stdout();
        assertTrue(slower.contains("replicated0: disk: resync-rate 4M -> 2M"), slower);
        String adjusted = awaitProc(rosaria, p -> p.contains("want: 2,048 K/sec") || !p.contains("cs:VerifyS"));
        assertTrue(adjusted.contains("cs:VerifyS"), "still verifying with the new rate:\n" + adjusted);
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertTrue(rosaria.logText().contains("Online verify done (total "), rosaria.logText());
        assertTrue(!rosaria.logText().contains("Online verify found"), "no block differs");

        // A change that cannot be applied to a running resource is refused and changes nothing.
        Files.writeString(conf, Files.readString(conf)
                .replace("address 127.0.0.1:" + pair.paimonPort, "address 127.0.0.1:" + (pair.paimonPort + 1)));
        Tools.Result moved = rosaria.cli("adjust", "replicated0");
        assertEquals(1, moved.exitCode(), moved.stderr());
        assertEquals("tandem adjust: replicated0: cannot apply peer address 127.0.0.1:" + pair.paimonPort
                + " -> 127.0.0.1:" + (pair.paimonPort + 1) + " to the running resource; run `tandem down replicated0`"
                + " and then `tandem up replicated0`\n", moved.stderr());
    }

    @Test
    void refusalsInDrbdsWordsAndTheStandAloneInvalidate() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;

        Tools.Result noAlg = rosaria.cli("verify", "replicated0");
        assertEquals(11, noAlg.exitCode(), noAlg.stderr());
        assertEquals("State change failed: (-14) Need a verify algorithm to start online verify\n", noAlg.stderr());

        paimon.cli("disconnect", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("connection:StandAlone"));
        Tools.Result remote = paimon.cli("invalidate-remote", "replicated0");
        assertEquals(11, remote.exitCode(), remote.stderr());
        assertEquals("State change failed: (-15) Need a connection to start verify or resync\n", remote.stderr());
        awaitStatus(rosaria, s -> s.contains("connection:Connecting"));
        Tools.Result primaryInvalidate = rosaria.cli("invalidate", "replicated0");
        assertEquals(11, primaryInvalidate.exitCode(), primaryInvalidate.stderr());
        assertEquals("State change failed: (-15) Need a connection to start verify or resync\n",
                primaryInvalidate.stderr());

        // A StandAlone Secondary discards its data at once; the next connect syncs everything to it.
        corrupt(paimon, 42, 4);
        paimon.cli("invalidate", "replicated0").orFail();
        assertTrue(paimon.cli("status", "replicated0").orFail().stdout().contains("  disk:Inconsistent"));
        paimon.cli("connect", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("replication:Established"));
        pair.awaitEqualDisks();
    }
}
