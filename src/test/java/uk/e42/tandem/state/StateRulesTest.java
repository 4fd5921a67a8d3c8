package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.state.States.ctx;
import static uk.e42.tandem.state.States.st;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StateRulesTest {

    /** {@code is_valid_state}: one row per refusal reason (in DRBD's order) plus the states the seed walks through. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            two Primaries without allow-two-primaries      | Primary/Primary Connected UpToDate/UpToDate         |                      | -1
            two Primaries with allow-two-primaries         | Primary/Primary Connected UpToDate/UpToDate         | two-primaries        | 1
            two-primaries check needs a net section        | Primary/Primary StandAlone UpToDate/DUnknown        | no-net               | 1
            Primary while another volume's peer is Primary | Primary/Secondary Connected UpToDate/UpToDate       | other-vol-peer-pri   | -20
            Secondary while held open                      | Secondary/Unknown StandAlone UpToDate/DUnknown      | open                 | -12
            Primary, not connected, own disk Consistent    | Primary/Unknown StandAlone Consistent/DUnknown      |                      | -2
            Primary, not connected, fencing resource-only  | Primary/Unknown WFConnection UpToDate/DUnknown      | resource-only        | -7
            fencing resource-only, peer known Outdated     | Primary/Unknown WFConnection UpToDate/Outdated      | resource-only        | 1
            fencing resource-and-stonith, peer DUnknown    | Primary/Unknown StandAlone UpToDate/DUnknown        | stonith              | -7
            degraded Primary with fencing dont-care        | Primary/Unknown StandAlone UpToDate/DUnknown        |                      | 1
            Primary with both disks Inconsistent           | Primary/Secondary Connected Inconsistent/Inconsistent |                    | -2
            SyncSource without local disk                  | Secondary/Secondary SyncSource Diskless/Inconsistent |                     | -4
            SyncTarget without remote disk                 | Secondary/Secondary SyncTarget Inconsistent/Diskless |                     | -5
            resync with neither side UpToDate              | Secondary/Secondary SyncTarget Inconsistent/Inconsistent |                 | -2
            Outdated while Connected                       | Secondary/Secondary Connected Outdated/UpToDate     |                      | -6
            Outdated while WFBitMapS                       | Secondary/Secondary WFBitMapS Outdated/UpToDate     |                      | -6
            Outdated while SyncSource                      | Secondary/Secondary SyncSource Outdated/UpToDate    |                      | -6
            Outdated while PausedSyncS                     | Secondary/Secondary PausedSyncS Outdated/UpToDate   |                      | -6
            Outdated SyncTarget is fine                    | Secondary/Secondary SyncTarget Outdated/UpToDate    |                      | 1
            VerifyS without verify-alg                     | Secondary/Secondary VerifyS UpToDate/UpToDate       |                      | -14
            VerifyT with verify-alg, protocol 87           | Secondary/Secondary VerifyT UpToDate/UpToDate       | verify-alg proto=87  | -17
            VerifyS with verify-alg, protocol 88           | Secondary/Secondary VerifyS UpToDate/UpToDate       | verify-alg proto=88  | 1
            Primary with Consistent and Outdated disks     | Primary/Secondary Connected Consistent/Outdated     |                      | -2
            StartingSyncS without knowing the peer disk    | Secondary/Secondary StartingSyncS UpToDate/DUnknown |                      | -15
            Connected without knowing the peer disk        | Secondary/Secondary Connected UpToDate/DUnknown     |                      | -6
            seed: both fresh, Connected, no sync           | Secondary/Secondary Connected Inconsistent/Inconsistent |                  | 1
            seed: Primary SyncSource                       | Primary/Secondary SyncSource UpToDate/Inconsistent  |                      | 1
            seed: Secondary SyncTarget                     | Secondary/Primary SyncTarget Inconsistent/UpToDate  |                      | 1
            diskless Primary reading from an UpToDate peer | Primary/Secondary Connected Diskless/UpToDate       |                      | 1
            """)
    void isValidState(String rule, String state, String context, int expected) {
        assertEquals(StateChangeResult.fromCode(expected), StateRules.isValidState(st(state), ctx(context)), rule);
    }

    /** {@code is_valid_soft_transition}: every rule; the last matching rule decides, as in DRBD. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            StartingSyncT while a resync runs             | Secondary/Primary SyncTarget Inconsistent/UpToDate   | Secondary/Primary StartingSyncT Inconsistent/UpToDate | | -8
            disconnect a StandAlone device                | Secondary/Unknown StandAlone UpToDate/DUnknown       | Secondary/Unknown Disconnecting UpToDate/DUnknown     | | -9
            Diskless straight to Inconsistent             | Secondary/Unknown StandAlone Diskless/DUnknown       | Secondary/Unknown StandAlone Inconsistent/DUnknown    | | -11
            Diskless to Attaching                         | Secondary/Unknown StandAlone Diskless/DUnknown       | Secondary/Unknown StandAlone Attaching/DUnknown       | | 1
            WFConnection without net config               | Secondary/Unknown StandAlone UpToDate/DUnknown       | Secondary/Unknown WFConnection UpToDate/DUnknown      | | -13
            outdate an Inconsistent disk                  | Secondary/Unknown StandAlone Inconsistent/DUnknown   | Secondary/Unknown StandAlone Outdated/DUnknown        | | -16
            outdate while Attaching                       | Secondary/Unknown StandAlone Attaching/DUnknown      | Secondary/Unknown StandAlone Outdated/DUnknown        | | 1
            outdate an UpToDate disk                      | Secondary/Unknown StandAlone UpToDate/DUnknown       | Secondary/Unknown StandAlone Outdated/DUnknown        | | 1
            disconnect while Unconnected                  | Secondary/Unknown Unconnected UpToDate/DUnknown      | Secondary/Unknown Disconnecting UpToDate/DUnknown     | | -18
            promote while the handshake state is sent     | Secondary/Unknown WFReportParams UpToDate/DUnknown   | Primary/Unknown WFReportParams UpToDate/DUnknown      | state-sent | -18
            WFReportParams to Connected after state sent  | Secondary/Unknown WFReportParams UpToDate/DUnknown   | Secondary/Secondary Connected UpToDate/UpToDate       | state-sent | 1
            WFConnection to WFReportParams after state sent | Secondary/Unknown WFConnection UpToDate/DUnknown   | Secondary/Unknown WFReportParams UpToDate/DUnknown    | state-sent | 1
            verify without connection                     | Secondary/Unknown WFConnection UpToDate/DUnknown     | Secondary/Unknown VerifyS UpToDate/DUnknown           | | -15
            verify while a resync runs                    | Secondary/Secondary SyncSource UpToDate/Inconsistent | Secondary/Secondary VerifyS UpToDate/Inconsistent     | | -8
            invalidate without connection                 | Secondary/Unknown WFConnection UpToDate/DUnknown     | Secondary/Unknown StartingSyncT UpToDate/DUnknown     | | -15
            SyncTarget straight from Unconnected          | Secondary/Unknown Unconnected UpToDate/DUnknown      | Secondary/Unknown SyncTarget UpToDate/DUnknown        | | -15
            outdate-peer disconnect without connection    | Secondary/Unknown WFConnection UpToDate/DUnknown     | Secondary/Unknown Disconnecting UpToDate/Outdated     | | -21
            later rule wins: attach-less StartingSyncS    | Secondary/Unknown StandAlone Diskless/DUnknown       | Secondary/Unknown StartingSyncS Inconsistent/DUnknown | | -15
            promote while Connected                       | Secondary/Secondary Connected UpToDate/UpToDate      | Primary/Secondary Connected UpToDate/UpToDate         | | 1
            """)
    void isValidSoftTransition(String rule, String os, String ns, String context, int expected) {
        assertEquals(StateChangeResult.fromCode(expected), StateRules.isValidSoftTransition(st(os), st(ns), ctx(context)), rule);
    }

    /**
     * {@code is_valid_conn_transition} for all 24 × 24 pairs. Row = old state, column = new state, both
     * in wire order (StandAlone .. Behind). '=' SS_NOTHING_TO_DO, '.' SS_SUCCESS, 'A' SS_ALREADY_STANDALONE,
     * 'N' SS_NEED_CONNECTION, 'T' SS_IN_TRANSIENT_STATE.
     */
    private static final List<String> CONN_TRANSITIONS = List.of(
            //          SDUTBNPTWWCSSWWWSSVVPPAB
            /* StandAlone     */ "=A.NNNNNNNNNNNNNNNNNNNNN",
            /* Disconnecting  */ ".=TTTTTTTTNNNNNNNNNNNNNN",
            /* Unconnected    */ "..=.......NNNNNNNNNNNNNN",
            /* Timeout        */ "T..=TTTTTTNNNNNNNNNNNNNN",
            /* BrokenPipe     */ "T..T=TTTTTNNNNNNNNNNNNNN",
            /* NetworkFailure */ "T..TT=TTTTNNNNNNNNNNNNNN",
            /* ProtocolError  */ "T..TTT=TTTNNNNNNNNNNNNNN",
            /* TearDown       */ "T..TTTT=TTNNNNNNNNNNNNNN",
            /* WFConnection   */ "........=.NNNNNNNNNNNNNN",
            /* WFReportParams */ ".........=..............",
            /* Connected      */ "..........=.............",
            /* StartingSyncS  */ "...........=............",
            /* StartingSyncT  */ "............=...........",
            /* WFBitMapS      */ ".............=..........",
            /* WFBitMapT      */ "..............=.........",
            /* WFSyncUUID     */ "...............=........",
            /* SyncSource     */ "................=.......",
            /* SyncTarget     */ ".................=......",
            /* VerifyS        */ "..................=.....",
            /* VerifyT        */ "...................=....",
            /* PausedSyncS    */ "....................=...",
            /* PausedSyncT    */ ".....................=..",
            /* Ahead          */ "......................=.",
            /* Behind         */ ".......................=");

    @Test
    void isValidConnTransitionForEveryPair() {
        ConnectionState[] all = ConnectionState.values();
        assertEquals(all.length, CONN_TRANSITIONS.size());
        for (ConnectionState oc : all) {
            String row = CONN_TRANSITIONS.get(oc.wireValue());
            for (ConnectionState nc : all) {
                StateChangeResult expected = switch (row.charAt(nc.wireValue())) {
                    case '=' -> StateChangeResult.SS_NOTHING_TO_DO;
                    case '.' -> StateChangeResult.SS_SUCCESS;
                    case 'A' -> StateChangeResult.SS_ALREADY_STANDALONE;
                    case 'N' -> StateChangeResult.SS_NEED_CONNECTION;
                    case 'T' -> StateChangeResult.SS_IN_TRANSIENT_STATE;
                    default -> throw new IllegalStateException("bad table character");
                };
                assertEquals(expected, StateRules.isValidConnTransition(oc, nc), oc + " -> " + nc);
            }
        }
    }

    @Test
    void aDetachedDiskCannotFailAgain() {
        assertEquals(StateChangeResult.SS_IS_DISKLESS, StateRules.isValidTransition(
                st("Secondary/Unknown StandAlone Diskless/DUnknown"), st("Secondary/Unknown StandAlone Failed/DUnknown")));
    }

    /** {@code sanitize_state}: each implication, with the warning DRBD logs. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            losing the connection forgets the peer      | Primary/Secondary Connected UpToDate/UpToDate | Primary/Secondary NetworkFailure UpToDate/UpToDate peer_isp | | Primary/Unknown NetworkFailure UpToDate/DUnknown | NO_WARNING
            an Outdated peer stays Outdated             | Primary/Secondary Connected UpToDate/Outdated | Primary/Secondary WFConnection UpToDate/Outdated | | Primary/Unknown WFConnection UpToDate/Outdated | NO_WARNING
            an Inconsistent peer stays Inconsistent     | Primary/Secondary SyncSource UpToDate/Inconsistent | Primary/Secondary BrokenPipe UpToDate/Inconsistent | | Primary/Unknown BrokenPipe UpToDate/Inconsistent | NO_WARNING
            a Diskless peer becomes DUnknown            | Primary/Secondary Connected UpToDate/Diskless | Primary/Secondary TearDown UpToDate/Diskless | | Primary/Unknown TearDown UpToDate/DUnknown | NO_WARNING
            a failing disk aborts the resync            | Secondary/Primary SyncTarget Inconsistent/UpToDate | Secondary/Primary SyncTarget Failed/UpToDate | | Secondary/Primary Connected Failed/UpToDate | ABORTED_RESYNC
            a detached peer aborts online verify        | Secondary/Secondary VerifyS UpToDate/UpToDate | Secondary/Secondary VerifyS UpToDate/Diskless | verify-alg | Secondary/Secondary Connected UpToDate/Diskless | ABORTED_ONLINE_VERIFY
            connection lost while Negotiating           | Secondary/Secondary Connected Negotiating/UpToDate | Secondary/Secondary NetworkFailure Negotiating/UpToDate | | Secondary/Unknown NetworkFailure Diskless/DUnknown | CONNECTION_LOST_NEGOTIATING
            connecting makes Consistent UpToDate        | Secondary/Unknown WFReportParams Consistent/DUnknown | Secondary/Secondary Connected Consistent/Outdated | | Secondary/Secondary Connected UpToDate/UpToDate | NO_WARNING
            Ahead keeps an Outdated peer                | Primary/Secondary Connected UpToDate/UpToDate | Primary/Secondary Ahead UpToDate/Outdated | | Primary/Secondary Ahead UpToDate/Outdated | NO_WARNING
            SyncTarget pins Inconsistent/UpToDate       | Secondary/Primary WFSyncUUID Inconsistent/UpToDate | Secondary/Primary SyncTarget UpToDate/Inconsistent | | Secondary/Primary SyncTarget Inconsistent/UpToDate | IMPLICITLY_UPGRADED_PDSK
            SyncSource pins UpToDate/Inconsistent       | Primary/Secondary WFBitMapS UpToDate/Inconsistent | Primary/Secondary SyncSource Inconsistent/UpToDate | | Primary/Secondary SyncSource UpToDate/Inconsistent | IMPLICITLY_UPGRADED_DISK
            WFBitMapT caps the own disk at Outdated     | Secondary/Primary Connected UpToDate/UpToDate | Secondary/Primary WFBitMapT UpToDate/UpToDate | | Secondary/Primary WFBitMapT Outdated/UpToDate | NO_WARNING
            a pause flag pauses SyncSource              | Primary/Secondary SyncSource UpToDate/Inconsistent | Primary/Secondary SyncSource UpToDate/Inconsistent user_isp | | Primary/Secondary PausedSyncS UpToDate/Inconsistent user_isp | NO_WARNING
            no pause flag resumes PausedSyncT           | Secondary/Primary PausedSyncT Inconsistent/UpToDate peer_isp | Secondary/Primary PausedSyncT Inconsistent/UpToDate | | Secondary/Primary SyncTarget Inconsistent/UpToDate | NO_WARNING
            unconfiguring clears the dependency pause   | Secondary/Unknown StandAlone UpToDate/DUnknown aftr_isp | Secondary/Unknown StandAlone Diskless/DUnknown aftr_isp | | Secondary/Unknown StandAlone Diskless/DUnknown | NO_WARNING
            stonith fencing freezes I/O on peer loss    | Primary/Secondary Connected UpToDate/UpToDate | Primary/Secondary NetworkFailure UpToDate/UpToDate | stonith | Primary/Unknown NetworkFailure UpToDate/DUnknown susp_fen | NO_WARNING
            stonith fencing ignores an Outdated peer    | Primary/Secondary Connected UpToDate/Outdated | Primary/Secondary NetworkFailure UpToDate/Outdated | stonith | Primary/Unknown NetworkFailure UpToDate/Outdated | NO_WARNING
            suspend-io freezes when no data is left     | Primary/Unknown StandAlone UpToDate/DUnknown | Primary/Unknown StandAlone Failed/DUnknown | suspend-io | Primary/Unknown StandAlone Failed/DUnknown susp_nod | NO_WARNING
            """)
    void sanitizeState(String rule, String os, String requested, String context, String expected, SanitizeWarning warning) {
        StateRules.Sanitized s = StateRules.sanitizeState(st(os), st(requested), ctx(context));
        assertEquals(st(expected), s.state(), rule);
        assertEquals(warning, s.warning(), rule);
    }

    @Test
    void connectionLostWhileNegotiatingFallsBackToTheAttachDecision() {
        StateContext c = StateContext.DEFAULT.withNegotiation(
                new StateContext.Negotiation(DiskState.UP_TO_DATE, DiskState.OUTDATED, true));
        StateRules.Sanitized s = StateRules.sanitizeState(st("Secondary/Secondary Connected Negotiating/UpToDate"),
                st("Secondary/Secondary NetworkFailure Negotiating/UpToDate"), c);
        assertEquals(st("Secondary/Unknown NetworkFailure UpToDate/Outdated"), s.state());
        assertEquals(SanitizeWarning.NO_WARNING, s.warning());
    }

    @Test
    void primaryOnTheFreshSeedIsRefusedWithDrbdsMessage() {
        StateRules.Outcome o = StateRules.setState(st("Secondary/Secondary Connected Inconsistent/Inconsistent"),
                st("Primary/Secondary Connected Inconsistent/Inconsistent"), StateContext.DEFAULT, false);
        assertFalse(o.applied());
        assertEquals("State change failed: (-2) Need access to UpToDate data", o.result().failureMessage());
    }

    @Test
    void promotionIsLoggedTheDrbdWay() {
        StateRules.Outcome o = StateRules.setState(st("Secondary/Secondary Connected UpToDate/UpToDate"),
                st("Primary/Secondary Connected UpToDate/UpToDate"), StateContext.DEFAULT, false);
        assertTrue(o.applied());
        assertEquals("role( Secondary -> Primary )", o.change().render());
    }

    @Test
    void secondPrimaryIsRefused() {
        StateRules.Outcome o = StateRules.setState(st("Secondary/Primary Connected UpToDate/UpToDate"),
                st("Primary/Primary Connected UpToDate/UpToDate"), StateContext.DEFAULT, false);
        assertEquals("State change failed: (-1) Multiple primaries not allowed by config", o.result().failureMessage());
    }

    @Test
    void demotionWhileMountedIsRefused() {
        StateRules.Outcome o = StateRules.setState(st("Primary/Secondary Connected UpToDate/UpToDate"),
                st("Secondary/Secondary Connected UpToDate/UpToDate"), ctx("open"), false);
        assertEquals(StateChangeResult.SS_DEVICE_IN_USE, o.result());
    }

    @Test
    void aHardChangeIsImposedEvenWhenTheResultIsIllegal() {
        // The network breaks under a Primary with fencing resource-only: not a legal state to ask
        // for, but a fact to record (and the fence-peer handler's business).
        ResourceState os = st("Primary/Secondary Connected UpToDate/UpToDate");
        ResourceState lost = st("Primary/Secondary NetworkFailure UpToDate/UpToDate");
        assertEquals(StateChangeResult.SS_PRIMARY_NOP, StateRules.setState(os, lost, ctx("resource-only"), false).result());
        StateRules.Outcome hard = StateRules.setState(os, lost, ctx("resource-only"), true);
        assertTrue(hard.applied());
        assertEquals("peer( Secondary -> Unknown ) conn( Connected -> NetworkFailure ) pdsk( UpToDate -> DUnknown )",
                hard.change().render());
    }

    @Test
    void aChangeFromAnIllegalStateForTheSameReasonIsLetThrough() {
        // Already Primary without UpToDate data anywhere (forced); pausing the resync keeps that reason.
        ResourceState os = st("Primary/Secondary Connected Inconsistent/Inconsistent");
        StateRules.Outcome o = StateRules.setState(os, st("Primary/Secondary Connected Inconsistent/Inconsistent user_isp"),
                StateContext.DEFAULT, false);
        assertTrue(o.applied());
        assertEquals("user_isp( 0 -> 1 )", o.change().render());
    }

    @Test
    void nothingToDoWhenSanitizingYieldsTheOldState() {
        ResourceState os = st("Secondary/Unknown StandAlone UpToDate/DUnknown");
        StateRules.Outcome o = StateRules.setState(os, os.withPeer(Role.PRIMARY), StateContext.DEFAULT, false);
        assertEquals(StateChangeResult.SS_NOTHING_TO_DO, o.result());
        assertTrue(o.change().isEmpty());
    }

    @Test
    void forbiddenConnectionStepsAreRefusedEvenWhenHard() {
        StateRules.Outcome o = StateRules.setState(st("Secondary/Unknown StandAlone UpToDate/DUnknown"),
                st("Secondary/Unknown WFConnection UpToDate/DUnknown"), StateContext.DEFAULT, true);
        assertEquals(StateChangeResult.SS_NEED_CONNECTION, o.result());
    }

    @Test
    void sanitizeForgetsWhatIsNotKnownWhileDisconnected() {
        // A request claiming a Diskless peer while StandAlone passes is_valid_state under fencing
        // resource-only, but sanitize replaces the claim with DUnknown, which is not outdated: the
        // promotion is refused. So "valid before sanitize" does not imply "valid after".
        ResourceState claim = st("Primary/Unknown StandAlone UpToDate/Diskless");
        assertEquals(StateChangeResult.SS_SUCCESS, StateRules.isValidState(claim, ctx("resource-only")));
        StateRules.Outcome o = StateRules.setState(st("Secondary/Unknown StandAlone UpToDate/DUnknown"), claim,
                ctx("resource-only"), false);
        assertEquals(st("Primary/Unknown StandAlone UpToDate/DUnknown"), o.ns());
        assertEquals("State change failed: (-7) Refusing to be Primary while peer is not outdated",
                o.result().failureMessage());
    }

    @Test
    void unpausingPinsTheDisksOfTheSyncStateEntered() {
        // DRBD would leave SyncTarget with an Outdated disk here until the next change; we pin it now.
        StateRules.Sanitized s = StateRules.sanitizeState(st("Secondary/Primary PausedSyncT Outdated/UpToDate user_isp"),
                st("Secondary/Primary PausedSyncT Outdated/UpToDate"), StateContext.DEFAULT);
        assertEquals(st("Secondary/Primary SyncTarget Inconsistent/UpToDate"), s.state());
    }
}
