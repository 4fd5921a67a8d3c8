package uk.e42.tandem.state;

/**
 * DRBD 9's replication state of a peer device ({@code enum drbd_repl_state}): the resync half of
 * 8.4's per-device state. {@code drbdadm status} prints it after {@code replication:}. Wire values
 * start at 9 (Off shares its value with the connection state Connected).
 */
public enum ReplicationState implements DrbdEnum {
    OFF(9, "Off"),
    ESTABLISHED(10, "Established"),
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

    ReplicationState(int wireValue, String drbdName) {
        this.wireValue = wireValue;
        this.drbdName = drbdName;
    }

    public int wireValue() {
        return wireValue;
    }

    public String drbdName() {
        return drbdName;
    }

    @Override
    public String toString() {
        return drbdName;
    }

    public static ReplicationState fromWire(int value) {
        return DrbdEnum.byWire(ReplicationState.class, value,
                () -> "replication state wire value " + value
                + " is not one of DRBD 9's replication states (9..23)");
    }

    public static ReplicationState fromDrbdName(String name) {
        return DrbdEnum.byName(ReplicationState.class, name,
                () -> "'" + name + "' is not a DRBD 9 replication state (Off, Established,"
                + " SyncSource, ...)");
    }
}
