package uk.e42.tandem.state;

/**
 * DRBD 8.4's per-device connection state ({@code enum drbd_conns}), in wire order; {@code cs:} in
 * /proc/drbd and {@code drbdadm cstate} print these names. DRBD compares them with {@code <} and
 * {@code >} ("conn &gt; Connected" means a resync or verify is running), so the natural order is the
 * wire value.
 */
public enum ConnectionState implements DrbdEnum {
    STAND_ALONE(0, "StandAlone"),
    DISCONNECTING(1, "Disconnecting"),
    UNCONNECTED(2, "Unconnected"),
    TIMEOUT(3, "Timeout"),
    BROKEN_PIPE(4, "BrokenPipe"),
    NETWORK_FAILURE(5, "NetworkFailure"),
    PROTOCOL_ERROR(6, "ProtocolError"),
    TEAR_DOWN(7, "TearDown"),
    WF_CONNECTION(8, "WFConnection"),
    WF_REPORT_PARAMS(9, "WFReportParams"),
    CONNECTED(10, "Connected"),
    STARTING_SYNC_S(11, "StartingSyncS"),
    STARTING_SYNC_T(12, "StartingSyncT"),
    WF_BIT_MAP_S(13, "WFBitMapS"),
    WF_BIT_MAP_T(14, "WFBitMapT"),
    WF_SYNC_UUID(15, "WFSyncUUID"),
    SYNC_SOURCE(16, "SyncSource"),
    SYNC_TARGET(17, "SyncTarget"),
    VERIFY_S(18, "VerifyS"),
    VERIFY_T(19, "VerifyT"),
    PAUSED_SYNC_S(20, "PausedSyncS"),
    PAUSED_SYNC_T(21, "PausedSyncT"),
    AHEAD(22, "Ahead"),
    BEHIND(23, "Behind");

    private final int wireValue;
    private final String drbdName;

    ConnectionState(int wireValue, String drbdName) {
        this.wireValue = wireValue;
        this.drbdName = drbdName;
    }

    /** Value in the 5-bit conn field of the 8.4 state word. */
    public int wireValue() {
        return wireValue;
    }

    /** The name DRBD 8.4 prints ({@code drbd_conn_str}). */
    public String drbdName() {
        return drbdName;
    }

    public boolean isBelow(ConnectionState other) {
        return compareTo(other) < 0;
    }

    public boolean isAbove(ConnectionState other) {
        return compareTo(other) > 0;
    }

    public boolean isAtLeast(ConnectionState other) {
        return compareTo(other) >= 0;
    }

    /** DRBD's "SyncStates": SyncSource..PausedSyncT (the verify states are among them). */
    public boolean isSyncState() {
        return isAtLeast(SYNC_SOURCE) && compareTo(PAUSED_SYNC_T) <= 0;
    }

    /** Timeout..TearDown: after these only Unconnected or Disconnecting may follow. */
    public boolean isNetworkError() {
        return isAtLeast(TIMEOUT) && compareTo(TEAR_DOWN) <= 0;
    }

    /** Whether /proc/drbd prints the progress lines and status prints {@code done:} (resync or verify running). */
    public boolean showsProgress() {
        return this == SYNC_SOURCE || this == SYNC_TARGET || this == VERIFY_S || this == VERIFY_T
                || this == PAUSED_SYNC_S || this == PAUSED_SYNC_T;
    }

    /**
     * The DRBD 9 connection name the 8.4 front end's {@code drbdadm status} prints: the 8.4 kernel
     * reports a connected device's connection as WFReportParams, which prints as Connected;
     * WFConnection prints as Connecting.
     */
    public Drbd9ConnectionState connection() {
        if (isAtLeast(WF_REPORT_PARAMS)) {
            return Drbd9ConnectionState.CONNECTED;
        }
        if (this == WF_CONNECTION) {
            return Drbd9ConnectionState.CONNECTING;
        }
        return Drbd9ConnectionState.fromWire(wireValue);
    }

    /**
     * The DRBD 9 replication name {@code drbdadm status} prints for the peer device: max(WFReportParams,
     * conn) with WFReportParams shown as Off and Connected as Established.
     */
    public ReplicationState replication() {
        if (isBelow(CONNECTED)) {
            return ReplicationState.OFF;
        }
        if (this == CONNECTED) {
            return ReplicationState.ESTABLISHED;
        }
        return ReplicationState.fromDrbdName(drbdName);
    }

    @Override
    public String toString() {
        return drbdName;
    }

    public static ConnectionState fromWire(int value) {
        if (value < 0 || value >= values().length) {
            throw new IllegalArgumentException("connection state wire value " + value
                    + " is not one of DRBD 8.4's connection states (0..23)");
        }
        return values()[value];
    }

    public static ConnectionState fromDrbdName(String name) {
        return DrbdEnum.byName(ConnectionState.class, name,
                () -> "'" + name + "' is not a DRBD 8.4 connection state (StandAlone, WFConnection,"
                + " Connected, SyncSource, ...)");
    }
}
