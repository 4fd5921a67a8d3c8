package uk.e42.tandem.sync;

/**
 * The {@code handlers { ... }} a sync decision asks to run (DRBD's {@code drbd_khelper}). Decisions
 * only name them; the node runs the configured command.
 */
public enum Handler {
    /** Split brain detected, before any recovery is tried. */
    INITIAL_SPLIT_BRAIN("initial-split-brain"),
    /** Split brain not resolved automatically: the connection is dropped. */
    SPLIT_BRAIN("split-brain"),
    /** A Primary with good data would have to become SyncTarget and rr-conflict is call-pri-lost. */
    PRI_LOST("pri-lost"),
    /** call-pri-lost-after-sb picked this Primary as victim and it could not become Secondary. */
    PRI_LOST_AFTER_SB("pri-lost-after-sb");

    private final String configName;

    Handler(String configName) {
        this.configName = configName;
    }

    /** The handler's name in drbd.conf and in events2 ({@code call helper ... helper:split-brain}). */
    public String configName() {
        return configName;
    }

    @Override
    public String toString() {
        return configName;
    }
}
