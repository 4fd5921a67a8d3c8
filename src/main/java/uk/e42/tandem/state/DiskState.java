package uk.e42.tandem.state;

/**
 * DRBD's disk states in 8.4 order. The order matters: DRBD compares disk states with {@code <} and
 * {@code >}, and DUnknown deliberately sits between Outdated and Consistent, so the enum's natural
 * order is the 8.4 wire value and the comparison helpers below are DRBD's comparisons.
 */
public enum DiskState implements DrbdEnum {
    DISKLESS(0, "Diskless"),
    ATTACHING(1, "Attaching"),
    FAILED(2, "Failed"),
    NEGOTIATING(3, "Negotiating"),
    INCONSISTENT(4, "Inconsistent"),
    OUTDATED(5, "Outdated"),
    /** Only ever a peer disk state: we do not know the peer's disk. */
    DUNKNOWN(6, "DUnknown"),
    CONSISTENT(7, "Consistent"),
    UP_TO_DATE(8, "UpToDate");

    private final int wireValue;
    private final String drbdName;

    DiskState(int wireValue, String drbdName) {
        this.wireValue = wireValue;
        this.drbdName = drbdName;
    }

    /** Value in DRBD 8.4's {@code enum drbd_disk_state} (the 4-bit disk/pdsk fields of P_STATE). */
    public int wireValue() {
        return wireValue;
    }

    /** Value in DRBD 9's enum, which inserts Detaching[2] and shifts everything from Failed up by one. */
    public int drbd9WireValue() {
        return wireValue >= FAILED.wireValue ? wireValue + 1 : wireValue;
    }

    /** The name DRBD prints ({@code drbd_disk_str}). */
    public String drbdName() {
        return drbdName;
    }

    public boolean isBelow(DiskState other) {
        return compareTo(other) < 0;
    }

    public boolean isAbove(DiskState other) {
        return compareTo(other) > 0;
    }

    public boolean isAtLeast(DiskState other) {
        return compareTo(other) >= 0;
    }

    public boolean isAtMost(DiskState other) {
        return compareTo(other) <= 0;
    }

    @Override
    public String toString() {
        return drbdName;
    }

    public static DiskState fromWire(int value) {
        return DrbdEnum.byWire(DiskState.class, value,
                () -> "disk state wire value " + value + " is not one of DRBD 8.4's disk states (0..8)");
    }

    public static DiskState fromDrbdName(String name) {
        return DrbdEnum.byName(DiskState.class, name,
                () -> "'" + name + "' is not a DRBD disk state; expected one of Diskless, Attaching,"
                + " Failed, Negotiating, Inconsistent, Outdated, DUnknown, Consistent, UpToDate");
    }
}
