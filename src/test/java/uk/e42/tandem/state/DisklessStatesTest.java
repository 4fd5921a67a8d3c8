package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.state.States.ctx;
import static uk.e42.tandem.state.States.st;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A failing disk (on-io-error) and the Diskless Primary: the state walk, the policy, where reads go. */
class DisklessStatesTest {

    /** The walk DRBD logs on a detach: disk( UpToDate -> Failed ), then disk( Failed -> Diskless ). */
    @Test
    void aConnectedPrimaryGoesFailedThenDisklessAndStaysPrimary() {
        ResourceState os = st("Primary/Secondary Connected UpToDate/UpToDate");
        StateRules.Outcome failed = StateRules.setState(os, os.withDisk(DiskState.FAILED), ctx(""), true);
        assertTrue(failed.applied());
        assertEquals("disk( UpToDate -> Failed )", failed.change().render());
        StateRules.Outcome diskless = StateRules.setState(failed.ns(), failed.ns().withDisk(DiskState.DISKLESS),
                ctx(""), true);
        assertTrue(diskless.applied());
        assertEquals(st("Primary/Secondary Connected Diskless/UpToDate"), diskless.ns());
        assertEquals(StateChangeResult.SS_SUCCESS, StateRules.isValidState(diskless.ns(), ctx("")),
                "a Diskless Primary with an UpToDate peer is a legal state");
    }

    /** {@code tandem detach} on a Primary is a soft change: only while the peer has UpToDate data. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            peer UpToDate                  | Primary/Secondary Connected UpToDate/UpToDate      | 1
            no peer                        | Primary/Unknown StandAlone UpToDate/DUnknown       | -2
            peer still SyncTarget          | Primary/Secondary SyncSource UpToDate/Inconsistent | -2
            Secondary without a peer       | Secondary/Unknown StandAlone UpToDate/DUnknown     | 1
            """)
    void detachIsRefusedWhenItWouldLeaveThePrimaryWithoutUpToDateData(String why, String state, int expected) {
        ResourceState os = st(state);
        StateRules.Outcome outcome = StateRules.setState(os, os.withDisk(DiskState.FAILED), ctx("no-net"), false);
        assertEquals(StateChangeResult.fromCode(expected), outcome.result(), why);
    }

    @Test
    void aResyncEndsWhenEitherDiskFails() {
        ResourceState source = st("Secondary/Primary SyncSource UpToDate/Inconsistent");
        StateRules.Outcome peerFailed = StateRules.setState(source, source.withPdsk(DiskState.FAILED), ctx(""), true);
        assertEquals(ConnectionState.CONNECTED, peerFailed.ns().conn());
        assertEquals(SanitizeWarning.ABORTED_RESYNC, peerFailed.warning());
        ResourceState target = st("Primary/Secondary SyncTarget Inconsistent/UpToDate");
        StateRules.Outcome ownFailed = StateRules.setState(target, target.withDisk(DiskState.FAILED), ctx(""), true);
        assertEquals(st("Primary/Secondary Connected Failed/UpToDate"), ownFailed.ns());
        assertEquals(SanitizeWarning.ABORTED_RESYNC, ownFailed.warning());
    }

    @Test
    void aDisklessDiskCannotFail() {
        ResourceState os = st("Primary/Secondary Connected Diskless/UpToDate");
        assertEquals(StateChangeResult.SS_IS_DISKLESS,
                StateRules.setState(os, os.withDisk(DiskState.FAILED), ctx(""), true).result());
    }

    @Test
    void thePeerLearnsOfTheFailedDiskWhileStayingConnected() {
        ResourceState os = st("Secondary/Primary Connected UpToDate/UpToDate");
        StateRules.Outcome failed = StateRules.setState(os, os.withPdsk(DiskState.FAILED), ctx(""), true);
        StateRules.Outcome diskless = StateRules.setState(failed.ns(), failed.ns().withPdsk(DiskState.DISKLESS),
                ctx(""), true);
        assertEquals(st("Secondary/Primary Connected UpToDate/Diskless"), diskless.ns());
    }

    /** DRBD 8.4's __drbd_chk_io_error_: which disk state each policy leaves. */
    @ParameterizedTest(name = "[{index}] {0} {1} error on {2}")
    @CsvSource(delimiter = '|', textBlock = """
            detach              | READ  | UpToDate     | Failed
            detach              | WRITE | Inconsistent | Failed
            detach              | META  | UpToDate     | Failed
            detach              | WRITE | Failed       | Failed
            call-local-io-error | WRITE | UpToDate     | Failed
            pass_on             | READ  | UpToDate     | Inconsistent
            pass_on             | WRITE | Outdated     | Inconsistent
            pass_on             | WRITE | Inconsistent | Inconsistent
            pass_on             | META  | UpToDate     | Failed
            """)
    void onIoError(String policy, IoErrorPolicy.Source source, String disk, String after) {
        IoErrorPolicy p = IoErrorPolicy.fromConfigName(policy);
        assertEquals(DiskState.fromDrbdName(after), p.diskAfter(DiskState.fromDrbdName(disk), source));
        assertEquals(p != IoErrorPolicy.PASS_ON || source == IoErrorPolicy.Source.META, p.detaches(source));
    }

    @Test
    void anUnknownPolicyNamesTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IoErrorPolicy.fromConfigName("panic"));
        assertTrue(e.getMessage().contains("pass_on, call-local-io-error, detach"), e.getMessage());
    }

    /** drbd_may_do_local_read, and the remote read when the local disk may not serve. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            UpToDate Primary reads locally           | Primary/Secondary Connected UpToDate/UpToDate         | true  | true  | LOCAL    | true
            UpToDate Primary alone reads locally     | Primary/Unknown StandAlone UpToDate/DUnknown          | false | true  | LOCAL    | false
            Diskless Primary reads from the peer     | Primary/Secondary Connected Diskless/UpToDate         | true  | true  | PEER     | false
            Failed disk: from the peer               | Primary/Secondary Connected Failed/UpToDate           | true  | true  | PEER     | false
            SyncTarget, block synced: locally        | Primary/Secondary SyncTarget Inconsistent/UpToDate    | true  | true  | LOCAL    | true
            SyncTarget, block not synced: peer       | Primary/Secondary SyncTarget Inconsistent/UpToDate    | true  | false | PEER     | false
            bitmap not merged yet (WFBitMapT): peer  | Primary/Secondary WFBitMapT Inconsistent/UpToDate     | true  | true  | PEER     | false
            Outdated disk: from the peer             | Primary/Secondary Connected Outdated/UpToDate         | true  | true  | PEER     | false
            Diskless Primary without its peer        | Primary/Unknown WFConnection Diskless/DUnknown        | false | true  | REFUSED  | false
            Inconsistent everywhere                  | Primary/Secondary Connected Inconsistent/Inconsistent | true  | false | REFUSED  | false
            Secondary never serves reads             | Secondary/Primary Connected UpToDate/UpToDate         | true  | true  | REFUSED  | false
            """)
    void readSource(String why, String state, boolean linked, boolean inSync, ReadSource.Where where,
            boolean fallback) {
        ReadSource.Decision d = ReadSource.decide(st(state), linked, () -> inSync, "r0", "alpha", 8192, 4096);
        assertEquals(where, d.where(), why);
        assertEquals(fallback, d.peerFallback(), why);
        assertEquals(where == ReadSource.Where.REFUSED, d.refusal() != null, why);
    }

    @Test
    void refusalsSayWhyInDrbdsWords() {
        assertEquals("r0: IO ERROR: neither local nor remote data, sector 16+4096 (disk:Diskless peer-disk:DUnknown"
                + " connection:WFConnection)", ReadSource.decide(st("Primary/Unknown WFConnection Diskless/DUnknown"),
                        false, () -> true, "r0", "alpha", 8192, 4096).refusal());
        assertEquals("resource r0 is Secondary on alpha; only the Primary serves reads",
                ReadSource.decide(st("Secondary/Primary Connected UpToDate/UpToDate"), true, () -> true, "r0",
                        "alpha", 0, 4096).refusal());
    }

    @Test
    void theBitmapIsAskedOnlyWhenItDecides() {
        AtomicBoolean asked = new AtomicBoolean();
        ReadSource.decide(st("Primary/Secondary Connected UpToDate/UpToDate"), true, () -> asked.getAndSet(true), "r0",
                "alpha", 0, 4096);
        assertFalse(asked.get(), "an UpToDate disk serves every block");
    }
}
