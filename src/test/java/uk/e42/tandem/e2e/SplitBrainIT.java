package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Split brain with two real daemons (issue 6): both sides write while disconnected, then
 * reconnect. The seed's policies decide as DRBD does; what they leave unresolved stays StandAlone
 * until the victim's {@code connect --discard-my-data}.
 */
@E2e(tools = {"qemu-io"})
class SplitBrainIT {
    static final String SEED_POLICIES =
            "after-sb-0pri discard-zero-changes; after-sb-1pri discard-secondary; after-sb-2pri disconnect;";
    static final int MIB = 1 << 20;

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void twoPrimariesStayStandAloneUntilOneDemotesAndIsDiscarded() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, SEED_POLICIES);
        // Each node's split-brain handler records drbdadm's environment, in a file named after its peer.
        String marker = cluster.root().resolve("split-brain.").toString();
        pair.editConfig("common {", "common {\n    handlers { split-brain \"env | grep ^DRBD_ | sort > " + marker
                + "$DRBD_PEER.tmp && mv " + marker + "$DRBD_PEER.tmp " + marker + "$DRBD_PEER\"; }");
        pair.synced();
        splitBrain(pair);
        byte[] survivor = pair.write(pair.rosaria, 2L * MIB, MIB, 2);
        pair.write(pair.paimon, 4L * MIB, MIB, 3);

        connectBoth(pair);
        for (TandemNode node : pair.nodes()) {
            String status = LoopbackPair.awaitStatus(node, s -> s.contains("peer connection:StandAlone"));
            assertEquals("""
                    replicated0 role:Primary
                      disk:UpToDate
                      peer connection:StandAlone

                    """, status, node.name());
            assertTrue(node.logText().contains("Split-Brain detected but unresolved, dropping connection!"),
                    node.name() + " logs the unresolved split brain");
        }
        for (TandemNode node : pair.nodes()) {
            String peer = node == pair.rosaria ? "paimon" : "rosaria";
            Path ran = Path.of(marker + peer);
            for (int i = 0; i < 100 && !Files.exists(ran); i++) {
                Thread.sleep(50);
            }
            String env = Files.readString(ran);
            assertTrue(env.contains("DRBD_RESOURCE=replicated0\n") && env.contains("DRBD_PEER=" + peer + "\n")
                    && env.contains("DRBD_HANDLER=split-brain\n"), node.name() + " ran its handler with: " + env);
        }

        // paimon gives up its role: with the seed's after-sb-1pri discard-secondary its changes are discarded.
        pair.paimon.cli("secondary", "replicated0").orFail();
        pair.paimon.cli("connect", "replicated0").orFail();
        pair.rosaria.cli("connect", "replicated0").orFail();
        assertResyncedFromRosaria(pair, survivor,
                "Split-Brain detected, 1 primaries, automatically solved. Sync from peer node");
    }

    @Test
    void withoutPoliciesOnlyTheVictimsDiscardMyDataResolvesIt() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        splitBrain(pair);
        byte[] survivor = pair.write(pair.rosaria, 2L * MIB, MIB, 2);
        pair.write(pair.paimon, 4L * MIB, MIB, 3);
        pair.paimon.cli("secondary", "replicated0").orFail();

        connectBoth(pair);
        for (TandemNode node : pair.nodes()) {
            LoopbackPair.awaitStatus(node, s -> s.contains("peer connection:StandAlone"));
        }
        // DRBD's manual recovery: the victim connects discarding its data, the survivor connects.
        pair.paimon.cli("connect", "--discard-my-data", "replicated0").orFail();
        pair.rosaria.cli("connect", "replicated0").orFail();
        assertResyncedFromRosaria(pair, survivor, "Split-Brain detected, manually solved. Sync from peer node");
    }

    private static void assertResyncedFromRosaria(LoopbackPair pair, byte[] survivor, String victimLog)
            throws Exception {
        LoopbackPair.awaitStatus(pair.rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        LoopbackPair.awaitStatus(pair.paimon, s -> s.contains("  disk:UpToDate"));
        assertTrue(pair.paimon.logText().contains(victimLog), "paimon is the victim: " + victimLog);
        assertTrue(pair.rosaria.logText().contains("Began resync as SyncSource (will sync 2048 KB"),
                "rosaria resyncs what either side changed");
        pair.rosaria.cli("secondary", "replicated0").orFail();
        pair.awaitEqualDisks();
        assertArrayEquals(survivor, pair.read(pair.paimon, 2L * MIB, MIB), "the survivor's write reached the victim");
        assertArrayEquals(new byte[MIB], pair.read(pair.paimon, 4L * MIB, MIB), "the victim's write is discarded");
    }

    @Test
    void aDemotedSideIsDiscardedByAfterSb1priDiscardSecondary() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, SEED_POLICIES).synced();
        splitBrain(pair);
        byte[] survivor = pair.write(pair.rosaria, 2L * MIB, MIB, 2);
        pair.write(pair.paimon, 4L * MIB, MIB, 3);
        pair.paimon.cli("secondary", "replicated0").orFail();

        connectBoth(pair);
        LoopbackPair.awaitStatus(pair.rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        LoopbackPair.awaitStatus(pair.paimon, s -> s.contains("  disk:UpToDate"));
        assertTrue(pair.rosaria.logText().contains("Split-Brain detected, 1 primaries, automatically solved. Sync from "
                + "this node"), "rosaria keeps its data");
        assertTrue(pair.paimon.logText().contains("Split-Brain detected, 1 primaries, automatically solved. Sync from "
                + "peer node"), "paimon's changes are discarded");
        pair.rosaria.cli("secondary", "replicated0").orFail();
        pair.awaitEqualDisks();
        assertArrayEquals(survivor, pair.read(pair.paimon, 2L * MIB, MIB));
        assertArrayEquals(new byte[MIB], pair.read(pair.paimon, 4L * MIB, MIB), "the Secondary's write is discarded");
    }

    @Test
    void bothSecondaryDiscardLeastChangesKeepsTheBusierSide() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster,
                "after-sb-0pri discard-least-changes; after-sb-1pri discard-secondary; after-sb-2pri disconnect;")
                .synced();
        splitBrain(pair);
        byte[] busier = pair.write(pair.rosaria, 2L * MIB, 2 * MIB, 2);
        pair.rosaria.cli("secondary", "replicated0").orFail();
        pair.write(pair.paimon, 8L * MIB, 64 << 10, 3);
        pair.paimon.cli("secondary", "replicated0").orFail();

        connectBoth(pair);
        LoopbackPair.awaitStatus(pair.paimon, s -> s.contains("  disk:UpToDate\n  peer role:Secondary\n"
                + "    replication:Established peer-disk:UpToDate"));
        LoopbackPair.awaitStatus(pair.rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertTrue(pair.paimon.logText().contains("Split-Brain detected, 0 primaries, automatically solved. Sync from "
                + "peer node"), "paimon changed less and is discarded");
        pair.awaitEqualDisks();
        assertArrayEquals(busier, pair.read(pair.paimon, 2L * MIB, 2 * MIB));
        assertArrayEquals(new byte[64 << 10], pair.read(pair.paimon, 8L * MIB, 64 << 10));
    }

    /** Both disconnect; paimon, UpToDate and alone, becomes Primary as well. */
    private static void splitBrain(LoopbackPair pair) {
        for (TandemNode node : pair.nodes()) {
            node.cli("disconnect", "replicated0").orFail();
            LoopbackPair.awaitStatus(node, s -> s.contains("peer connection:StandAlone"));
        }
        pair.paimon.cli("primary", "replicated0").orFail();
    }

    private static void connectBoth(LoopbackPair pair) {
        pair.rosaria.cli("connect", "replicated0").orFail();
        pair.paimon.cli("connect", "replicated0").orFail();
    }
}
