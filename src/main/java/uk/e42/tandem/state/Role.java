package uk.e42.tandem.state;

/** DRBD's role of a node for a resource, with the wire value of 8.4's {@code enum drbd_role}. */
public enum Role implements DrbdEnum {
    UNKNOWN(0, "Unknown"),
    PRIMARY(1, "Primary"),
    SECONDARY(2, "Secondary");

    private final int wireValue;
    private final String drbdName;

    Role(int wireValue, String drbdName) {
        this.wireValue = wireValue;
        this.drbdName = drbdName;
    }

    public int wireValue() {
        return wireValue;
    }

    /** The name DRBD prints ({@code drbd_role_str}). */
    public String drbdName() {
        return drbdName;
    }

    @Override
    public String toString() {
        return drbdName;
    }

    public static Role fromWire(int value) {
        return DrbdEnum.byWire(Role.class, value,
                () -> "role wire value " + value + " is not one of DRBD's roles (0..2)");
    }

    public static Role fromDrbdName(String name) {
        return DrbdEnum.byName(Role.class, name,
                () -> "'" + name + "' is not a DRBD role; expected Unknown, Primary or Secondary");
    }
}
