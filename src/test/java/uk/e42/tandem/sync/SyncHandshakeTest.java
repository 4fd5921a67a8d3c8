package uk.e42.tandem.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.sync.UuidCompareTest.g;

import java.util.List;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.state.ConnectionState;
import uk.e42.tandem.state.DiskState;
import uk.e42.tandem.state.Role;
import uk.e42.tandem.sync.SyncDecision.Handshake;
import uk.e42.tandem.sync.SyncDecision.HandshakeInput;
import uk.e42.tandem.sync.SyncDecision.NodeView;
import uk.e42.tandem.sync.SyncDecision.Outcome;
import uk.e42.tandem.sync.SyncDecision.Policy;

class SyncHandshakeTest {

    private static final Policy SEED = new Policy(new SplitBrainResolver.Policies(AfterSbPolicy.DISCARD_ZERO_CHANGES,
            AfterSbPolicy.DISCARD_SECONDARY, AfterSbPolicy.DISCONNECT), RrConflict.DISCONNECT, false, false);

    private static NodeView node(String uuids, long bits, Role role, DiskState disk) {
        return NodeView.of(g(uuids), bits, role, disk);
    }

    private static Handshake[] both(NodeView a, NodeView b, Policy policy) {
        HandshakeInput in = HandshakeInput.of(a, b, true, policy);
        return new Handshake[] {SyncDecision.handshake(in), SyncDecision.handshake(in.mirrored(true))};
    }

    @Test
    void seedFirstConnectDoesNotSync() {
        Handshake[] h = both(node("4:0:0:0", 0, Role.SECONDARY, DiskState.INCONSISTENT),
                node("4:0:0:0", 0, Role.SECONDARY, DiskState.INCONSISTENT), SEED);
        assertEquals(Outcome.NO_SYNC, h[0].outcome());
        assertEquals(Outcome.NO_SYNC, h[1].outcome());
        assertEquals(ConnectionState.CONNECTED, h[0].outcome().nextConn());
    }

    @Test
    void seedOverwriteDataOfPeerGivesAFullSyncFromRosaria() {
        Handshake[] h = both(node("C1:4:0:0", 0, Role.PRIMARY, DiskState.UP_TO_DATE),
                node("4:0:0:0", 0, Role.SECONDARY, DiskState.INCONSISTENT), SEED);
        assertEquals(Outcome.BECOME_SYNC_SOURCE, h[0].outcome());
        assertEquals(Outcome.BECOME_SYNC_TARGET, h[1].outcome());
        assertTrue(h[0].fullSync());
        assertTrue(h[1].fullSync());
        assertEquals(30, h[0].rule());
        assertEquals(20, h[1].rule());
        assertEquals(List.of("drbd_sync_handshake:",
                "self 00000000000000C1:0000000000000004:0000000000000000:0000000000000000 bits:0 flags:0",
                "peer 0000000000000004:0000000000000000:0000000000000000:0000000000000000 bits:0 flags:4",
                "uuid_compare()=2 by rule 30",
                "Becoming sync source due to disk states.",
                "Writing the whole bitmap, full sync required after drbd_sync_handshake."), h[0].log());
    }

    @Test
    void seedRebootOnlyMovesWhatWasWritten() {
        Handshake[] h = both(node("D1:C0:51:4", 120, Role.PRIMARY, DiskState.UP_TO_DATE),
                node("C0:0:51:4", 0, Role.SECONDARY, DiskState.UP_TO_DATE), SEED);
        assertEquals(Outcome.BECOME_SYNC_SOURCE, h[0].outcome());
        assertEquals(Outcome.BECOME_SYNC_TARGET, h[1].outcome());
        assertFalse(h[0].fullSync());
        assertEquals(70, h[0].rule());
        assertEquals(50, h[1].rule());
    }

    @Test
    void diskStatesOverrideTheUuids() {
        // Same generation, but paimon's disk is Inconsistent (an interrupted resync): rosaria becomes source.
        Handshake[] h = both(node("C0:0:51:4", 0, Role.SECONDARY, DiskState.UP_TO_DATE),
                node("C0:0:51:4", 0, Role.SECONDARY, DiskState.INCONSISTENT), SEED);
        assertEquals(Outcome.BECOME_SYNC_SOURCE, h[0].outcome());
        assertEquals(Outcome.BECOME_SYNC_TARGET, h[1].outcome());
        assertTrue(h[0].log().contains("Becoming sync source due to disk states."));
        assertTrue(h[1].log().contains("Becoming sync target due to disk states."));
    }

    @Test
    void anAmbiguousSplitBrainWithAnInconsistentSideBecomesAFullSync() {
        Handshake[] h = both(node("D0:F0:40:30", 5, Role.SECONDARY, DiskState.UP_TO_DATE),
                node("E0:A0:20:40", 5, Role.SECONDARY, DiskState.INCONSISTENT), SEED);
        assertEquals(-100, h[0].comparison().hg());
        assertEquals(2, h[0].hg());
        assertEquals(-2, h[1].hg());
        assertTrue(h[0].fullSync());
    }

    @Test
    void seedSplitBrainWithOnePrimaryDiscardsTheSecondary() {
        Handshake[] h = both(node("D1:C1:40:30", 7, Role.PRIMARY, DiskState.UP_TO_DATE),
                node("E0:C1:40:30", 9, Role.SECONDARY, DiskState.UP_TO_DATE), SEED);
        assertEquals(90, h[0].rule());
        assertEquals(Outcome.BECOME_SYNC_SOURCE, h[0].outcome());
        assertEquals(Outcome.BECOME_SYNC_TARGET, h[1].outcome());
        assertEquals(SyncDecision.SplitBrain.AUTOMATICALLY_SOLVED, h[0].splitBrain());
        assertEquals(List.of(Handler.INITIAL_SPLIT_BRAIN), h[0].handlers());
        assertTrue(h[0].log().contains("Split-Brain detected, 1 primaries, automatically solved. Sync from this node"));
        assertTrue(h[1].log().contains("Split-Brain detected, 1 primaries, automatically solved. Sync from peer node"));
    }

    @Test
    void seedSplitBrainWithTwoPrimariesStaysStandAloneUntilDiscardMyData() {
        NodeView rosaria = node("D1:C1:40:30", 7, Role.PRIMARY, DiskState.UP_TO_DATE);
        NodeView paimon = node("E1:C1:40:30", 9, Role.PRIMARY, DiskState.UP_TO_DATE);
        Handshake[] h = both(rosaria, paimon, SEED);
        for (Handshake x : h) {
            assertEquals(Outcome.DISCONNECT, x.outcome());
            assertEquals(SyncDecision.SplitBrain.UNRESOLVED, x.splitBrain());
            assertEquals(List.of(Handler.INITIAL_SPLIT_BRAIN, Handler.SPLIT_BRAIN), x.handlers());
            assertEquals("Split-Brain detected but unresolved, dropping connection!", x.log().getLast());
        }
        // With the seed's after-sb-1pri discard-secondary, demoting paimon is enough: the next
        // handshake sees one Primary and overwrites the Secondary.
        NodeView demoted = new NodeView(paimon.uuids(), 9, Role.SECONDARY, DiskState.UP_TO_DATE, DiskState.UP_TO_DATE,
                false, false);
        assertEquals(SyncDecision.SplitBrain.AUTOMATICALLY_SOLVED, both(rosaria, demoted, SEED)[1].splitBrain());
        // With the default policies (all disconnect) the victim needs connect --discard-my-data.
        NodeView victim = new NodeView(paimon.uuids(), 9, Role.SECONDARY, DiskState.UP_TO_DATE, DiskState.UP_TO_DATE,
                false, true);
        assertEquals(Outcome.DISCONNECT, both(rosaria, demoted, Policy.DEFAULT)[0].outcome());
        Handshake[] m = both(rosaria, victim, Policy.DEFAULT);
        assertEquals(Outcome.BECOME_SYNC_SOURCE, m[0].outcome());
        assertEquals(Outcome.BECOME_SYNC_TARGET, m[1].outcome());
        assertFalse(m[1].fullSync());
        assertEquals(SyncDecision.SplitBrain.MANUALLY_SOLVED, m[1].splitBrain());
        assertTrue(m[1].log().contains("Split-Brain detected, manually solved. Sync from peer node"));
    }

    @Test
    void discardMyDataOnBothSidesResolvesNothing() {
        NodeView a = new NodeView(g("D1:C1:40:30"), 7, Role.SECONDARY, DiskState.UP_TO_DATE, DiskState.UP_TO_DATE,
                false, true);
        NodeView b = new NodeView(g("E1:C1:40:30"), 7, Role.SECONDARY, DiskState.UP_TO_DATE, DiskState.UP_TO_DATE,
                false, true);
        assertEquals(Outcome.DISCONNECT, both(a, b, Policy.DEFAULT)[0].outcome());
    }

    @Test
    void alwaysAsbpTriesThePoliciesOnAmbiguousUuidsAndForcesAFullSync() {
        Policy asbp = new Policy(SEED.afterSb(), RrConflict.DISCONNECT, true, false);
        Handshake[] h = both(node("D0:F0:40:30", 0, Role.SECONDARY, DiskState.UP_TO_DATE),
                node("E0:A0:20:40", 5, Role.SECONDARY, DiskState.UP_TO_DATE), asbp);
        assertEquals(-2, h[0].hg());
        assertEquals(2, h[1].hg());
        assertTrue(h[0].log().contains("Doing a full sync, since UUIDs where ambiguous."));
    }

    @Test
    void anInconsistentNodeNeverBecomesSource() {
        HandshakeInput in = HandshakeInput.of(node("C1:4:0:0", 0, Role.SECONDARY, DiskState.INCONSISTENT),
                node("4:0:0:0", 0, Role.SECONDARY, DiskState.INCONSISTENT), false, SEED);
        Handshake h = SyncDecision.handshake(in);
        assertEquals(Outcome.DISCONNECT, h.outcome());
        assertEquals("I shall become SyncSource, but I am inconsistent!", h.log().getLast());
    }

    @Test
    void rrConflictProtectsAPrimaryWithGoodData() {
        NodeView primary = node("C0:0:51:4", 0, Role.PRIMARY, DiskState.UP_TO_DATE);
        NodeView peer = node("D1:C0:51:4", 3, Role.SECONDARY, DiskState.UP_TO_DATE);
        Handshake dis = SyncDecision.handshake(HandshakeInput.of(primary, peer, false, SEED));
        assertEquals(Outcome.DISCONNECT, dis.outcome());
        assertEquals("I shall become SyncTarget, but I am primary!", dis.log().getLast());

        Handshake call = SyncDecision.handshake(HandshakeInput.of(primary, peer, false,
                new Policy(SEED.afterSb(), RrConflict.CALL_PRI_LOST, false, false)));
        assertEquals(Outcome.DISCONNECT, call.outcome());
        assertEquals(List.of(Handler.PRI_LOST), call.handlers());

        Handshake violently = SyncDecision.handshake(HandshakeInput.of(primary, peer, false,
                new Policy(SEED.afterSb(), RrConflict.VIOLENTLY, false, false)));
        assertEquals(Outcome.BECOME_SYNC_TARGET, violently.outcome());
    }

    @Test
    void dryRunOnlyLogs() {
        Handshake h = SyncDecision.handshake(HandshakeInput.of(node("D1:C0:51:4", 3, Role.PRIMARY, DiskState.UP_TO_DATE),
                node("C0:0:51:4", 0, Role.SECONDARY, DiskState.UP_TO_DATE), false,
                new Policy(SEED.afterSb(), RrConflict.DISCONNECT, false, true)));
        assertEquals(Outcome.DISCONNECT, h.outcome());
        assertEquals("dry-run connect: Would become SyncSource, doing a bit-map based resync.", h.log().getLast());
    }

    @Test
    void unrelatedDataAndOldProtocolsDisconnect() {
        Handshake unrelated = SyncDecision.handshake(HandshakeInput.of(node("D0:F0:40:30", 0, Role.SECONDARY,
                DiskState.UP_TO_DATE), node("E0:A0:20:10", 0, Role.SECONDARY, DiskState.UP_TO_DATE), false, SEED));
        assertEquals(Outcome.DISCONNECT, unrelated.outcome());
        assertEquals("Unrelated data, aborting!", unrelated.log().getLast());

        Handshake old = SyncDecision.handshake(new HandshakeInput(node("C0:50:40:30", 0, Role.SECONDARY,
                DiskState.UP_TO_DATE), node("C0:0:50:40", 0, Role.SECONDARY, DiskState.UP_TO_DATE), false, SEED, 90,
                true, true));
        assertEquals("To resolve this both sides have to support at least protocol 91", old.log().getLast());
    }

    @Test
    void aNegotiatingPeerIsJudgedByItsUuidFlags() {
        NodeView peer = NodeView.ofPeer(g("C0:0:51:4"), 0, SyncDecision.UUID_FLAG_INCONSISTENT, Role.SECONDARY,
                DiskState.NEGOTIATING);
        assertEquals(DiskState.INCONSISTENT, peer.negotiatedDisk());
        Handshake h = SyncDecision.handshake(HandshakeInput.of(node("C0:0:51:4", 0, Role.SECONDARY,
                DiskState.UP_TO_DATE), peer, false, SEED));
        assertEquals(Outcome.BECOME_SYNC_SOURCE, h.outcome());
        assertEquals(SyncDecision.UUID_FLAG_INCONSISTENT, peer.uuidFlags());
    }

    @Test
    void noResyncButBitsInTheBitmapIsReported() {
        Handshake h = SyncDecision.handshake(HandshakeInput.of(node("C0:0:51:4", 12, Role.SECONDARY,
                DiskState.UP_TO_DATE), node("C0:0:51:4", 0, Role.SECONDARY, DiskState.UP_TO_DATE), false, SEED));
        assertEquals(Outcome.NO_SYNC, h.outcome());
        assertEquals("No resync, but 12 bits in bitmap!", h.log().getLast());
    }

    @Test
    void aVictimPrimaryThatCannotDemoteDropsEvenIfThePeerDiscardsItsData() {
        // after-sb-1pri call-pri-lost-after-sb picks rosaria (Primary, nothing written) as victim, but
        // it is in use; paimon's policy makes paimon the winner although it connects with
        // --discard-my-data. DRBD would let that flag make rosaria SyncSource too; we drop instead.
        Policy callPriLost = new Policy(new SplitBrainResolver.Policies(AfterSbPolicy.DISCARD_ZERO_CHANGES,
                AfterSbPolicy.CALL_PRI_LOST_AFTER_SB, AfterSbPolicy.DISCONNECT), RrConflict.DISCONNECT, false, false);
        NodeView rosaria = node("D1:C1:40:30", 0, Role.PRIMARY, DiskState.UP_TO_DATE);
        NodeView paimon = new NodeView(g("E0:C1:40:30"), 5, Role.SECONDARY, DiskState.UP_TO_DATE, DiskState.UP_TO_DATE,
                false, true);
        HandshakeInput in = new HandshakeInput(rosaria, paimon, false, callPriLost, SyncDecision.PRO_VERSION_MAX, true,
                false);
        Handshake h = SyncDecision.handshake(in);
        assertEquals(Outcome.DISCONNECT, h.outcome());
        assertEquals(List.of(Handler.INITIAL_SPLIT_BRAIN, Handler.PRI_LOST_AFTER_SB, Handler.SPLIT_BRAIN), h.handlers());
        assertEquals(Outcome.BECOME_SYNC_SOURCE, SyncDecision.handshake(in.mirrored(true)).outcome());
    }
}
