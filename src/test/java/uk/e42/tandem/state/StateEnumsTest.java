package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StateEnumsTest {

    @Test
    void connectionStateNamesAndWireValuesAreDrbd84s() {
        List<String> names = List.of("StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe",
                "NetworkFailure", "ProtocolError", "TearDown", "WFConnection", "WFReportParams", "Connected",
                "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID", "SyncSource", "SyncTarget",
                "VerifyS", "VerifyT", "PausedSyncS", "PausedSyncT", "Ahead", "Behind");
        assertEquals(names, Arrays.stream(ConnectionState.values()).map(ConnectionState::drbdName).toList());
        for (int i = 0; i < names.size(); i++) {
            assertEquals(i, ConnectionState.fromDrbdName(names.get(i)).wireValue());
            assertEquals(names.get(i), ConnectionState.fromWire(i).toString());
        }
    }

    @Test
    void diskStateNamesAndWireValuesAreDrbd84sAndDrbd9ShiftsFromFailed() {
        List<String> names = List.of("Diskless", "Attaching", "Failed", "Negotiating", "Inconsistent", "Outdated",
                "DUnknown", "Consistent", "UpToDate");
        assertEquals(names, Arrays.stream(DiskState.values()).map(DiskState::drbdName).toList());
        assertEquals(1, DiskState.ATTACHING.drbd9WireValue());
        assertEquals(3, DiskState.FAILED.drbd9WireValue());
        assertEquals(9, DiskState.UP_TO_DATE.drbd9WireValue());
        assertEquals(DiskState.DUNKNOWN, DiskState.fromWire(6));
    }

    @Test
    void rolesAreUnknownPrimarySecondary() {
        assertEquals(List.of("Unknown", "Primary", "Secondary"),
                Arrays.stream(Role.values()).map(Role::drbdName).toList());
        assertEquals(Role.SECONDARY, Role.fromWire(2));
    }

    @Test
    void badNamesAndValuesSayWhatIsExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiskState.fromDrbdName("UpToDat"));
        assertEquals("'UpToDat' is not a DRBD disk state; expected one of Diskless, Attaching, Failed, Negotiating,"
                + " Inconsistent, Outdated, DUnknown, Consistent, UpToDate", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConnectionState.fromWire(24));
        assertThrows(IllegalArgumentException.class, () -> Role.fromWire(3));
    }

    /** What the 8.4 front end's {@code drbdadm status} prints for each 8.4 state (connection:, replication:). */
    @ParameterizedTest(name = "{0} -> connection:{1} replication:{2}")
    @CsvSource({
            "StandAlone,     StandAlone,     Off",
            "Disconnecting,  Disconnecting,  Off",
            "Unconnected,    Unconnected,    Off",
            "Timeout,        Timeout,        Off",
            "BrokenPipe,     BrokenPipe,     Off",
            "NetworkFailure, NetworkFailure, Off",
            "ProtocolError,  ProtocolError,  Off",
            "TearDown,       TearDown,       Off",
            "WFConnection,   Connecting,     Off",
            "WFReportParams, Connected,      Off",
            "Connected,      Connected,      Established",
            "StartingSyncS,  Connected,      StartingSyncS",
            "StartingSyncT,  Connected,      StartingSyncT",
            "WFBitMapS,      Connected,      WFBitMapS",
            "WFBitMapT,      Connected,      WFBitMapT",
            "WFSyncUUID,     Connected,      WFSyncUUID",
            "SyncSource,     Connected,      SyncSource",
            "SyncTarget,     Connected,      SyncTarget",
            "VerifyS,        Connected,      VerifyS",
            "VerifyT,        Connected,      VerifyT",
            "PausedSyncS,    Connected,      PausedSyncS",
            "PausedSyncT,    Connected,      PausedSyncT",
            "Ahead,          Connected,      Ahead",
            "Behind,         Connected,      Behind",
    })
    void drbd9SplitAsStatusPrintsIt(String conn84, String connection, String replication) {
        ConnectionState c = ConnectionState.fromDrbdName(conn84);
        assertEquals(connection, c.connection().drbdName());
        assertEquals(replication, c.replication().drbdName());
    }

    @Test
    void drbd9WireValues() {
        assertEquals(8, Drbd9ConnectionState.CONNECTING.wireValue());
        assertEquals(9, Drbd9ConnectionState.CONNECTED.wireValue());
        assertEquals(9, ReplicationState.OFF.wireValue());
        assertEquals(10, ReplicationState.ESTABLISHED.wireValue());
        for (ReplicationState r : ReplicationState.values()) {
            if (r.wireValue() > 10) {
                assertEquals(r.drbdName(), ConnectionState.fromWire(r.wireValue()).drbdName(),
                        "replication states beyond Established keep 8.4's names and values");
            }
        }
    }

    @Test
    void syncStatesAreSyncSourceToPausedSyncT() {
        assertEquals(List.of(ConnectionState.SYNC_SOURCE, ConnectionState.SYNC_TARGET, ConnectionState.VERIFY_S,
                        ConnectionState.VERIFY_T, ConnectionState.PAUSED_SYNC_S, ConnectionState.PAUSED_SYNC_T),
                Arrays.stream(ConnectionState.values()).filter(ConnectionState::isSyncState).toList());
    }

    @Test
    void stateChangeResultTextsAndMessage() {
        assertEquals("State change failed: (-2) Need access to UpToDate data",
                StateChangeResult.SS_NO_UP_TO_DATE_DISK.failureMessage());
        assertEquals("State change failed: (-1) Multiple primaries not allowed by config",
                StateChangeResult.SS_TWO_PRIMARIES.failureMessage());
        assertEquals("State change failed: (-12) Device is held open by someone",
                StateChangeResult.SS_DEVICE_IN_USE.failureMessage());
        assertEquals(StateChangeResult.SS_OUTDATE_WO_CONN, StateChangeResult.fromCode(-21));
        assertEquals(List.of(StateChangeResult.SS_CW_NO_NEED, StateChangeResult.SS_CW_SUCCESS,
                        StateChangeResult.SS_NOTHING_TO_DO, StateChangeResult.SS_SUCCESS),
                Arrays.stream(StateChangeResult.values()).filter(StateChangeResult::isSuccess).toList());
    }
}
