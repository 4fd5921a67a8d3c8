package uk.e42.tandem.state;

/**
 * DRBD 9's connection state ({@code enum drbd_conn_state}): the network half of 8.4's per-device
 * state. {@code drbdadm status} prints it after {@code connection:}.
 */
public enum Drbd9ConnectionState implements DrbdEnum {
    STAND_ALONE(0, "StandAlone"),
    DISCONNECTING(1, "Disconnecting"),
    UNCONNECTED(2, "Unconnected"),
    TIMEOUT(3, "Timeout"),
    BROKEN_PIPE(4, "BrokenPipe"),
    NETWORK_FAILURE(5, "NetworkFailure"),
    PROTOCOL_ERROR(6, "ProtocolError"),
    TEAR_DOWN(7, "TearDown"),
    CONNECTING(8, "Connecting"),
    CONNECTED(9, "Connected");

    private final int wireValue;
    private final String drbdName;

    Drbd9ConnectionState(int wireValue, String drbdName) {
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

    public static Drbd9ConnectionState fromWire(int value) {
        if (value < 0 || value >= values().length) {
            throw new IllegalArgumentException("connection state wire value " + value
                    + " is not one of DRBD 9's connection states (0..9)");
        }
        return values()[value];
    }
}
