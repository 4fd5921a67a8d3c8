package uk.e42.tandem.sync;

/** {@code net { rr-conflict; }}: what a Primary with good data does when the handshake makes it SyncTarget. */
public enum RrConflict {
    DISCONNECT("disconnect", AfterSbPolicy.DISCONNECT),
    CALL_PRI_LOST("call-pri-lost", AfterSbPolicy.CALL_PRI_LOST_AFTER_SB),
    VIOLENTLY("violently", AfterSbPolicy.VIOLENTLY_AS0P);

    private final String configName;
    private final AfterSbPolicy wireEquivalent;

    RrConflict(String configName, AfterSbPolicy wireEquivalent) {
        this.configName = configName;
        this.wireEquivalent = wireEquivalent;
    }

    public String configName() {
        return configName;
    }

    /** DRBD stores rr-conflict in the after-sb enum; this is its value there. */
    public int wireValue() {
        return wireEquivalent.wireValue();
    }

    @Override
    public String toString() {
        return configName;
    }

    public static RrConflict fromConfig(String value) {
        for (RrConflict r : values()) {
            if (r.configName.equals(value)) {
                return r;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not an rr-conflict policy; expected disconnect,"
                + " call-pri-lost or violently");
    }
}
