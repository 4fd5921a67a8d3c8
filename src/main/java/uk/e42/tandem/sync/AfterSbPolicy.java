package uk.e42.tandem.sync;

import java.util.Objects;

/**
 * The split-brain recovery policies of {@code net { after-sb-0pri; after-sb-1pri; after-sb-2pri; }},
 * in DRBD's order ({@code enum drbd_after_sb_p}; the ordinal is the value sent in P_PROTOCOL).
 * {@code discard-node-NAME} is not a policy of its own: like drbdadm, {@link #fromConfig} turns it
 * into {@link #DISCARD_LOCAL} on the node called NAME and {@link #DISCARD_REMOTE} elsewhere.
 */
public enum AfterSbPolicy {
    DISCONNECT("disconnect"),
    DISCARD_YOUNGER_PRIMARY("discard-younger-primary"),
    DISCARD_OLDER_PRIMARY("discard-older-primary"),
    DISCARD_ZERO_CHANGES("discard-zero-changes"),
    DISCARD_LEAST_CHANGES("discard-least-changes"),
    DISCARD_LOCAL("discard-local"),
    DISCARD_REMOTE("discard-remote"),
    CONSENSUS("consensus"),
    DISCARD_SECONDARY("discard-secondary"),
    CALL_PRI_LOST_AFTER_SB("call-pri-lost-after-sb"),
    VIOLENTLY_AS0P("violently-as0p");

    private static final String DISCARD_NODE = "discard-node-";

    private final String configName;

    AfterSbPolicy(String configName) {
        this.configName = configName;
    }

    /** The keyword in drbd.conf. */
    public String configName() {
        return configName;
    }

    /** Wire value in P_PROTOCOL. */
    public int wireValue() {
        return ordinal();
    }

    /**
     * The same policy as the peer states it ({@code convert_after_sb}): what is "local" on one node
     * is "remote" on the other. P_PROTOCOL requires {@code mine == peers.asSeenByPeer()}.
     */
    public AfterSbPolicy asSeenByPeer() {
        return switch (this) {
            case DISCARD_LOCAL -> DISCARD_REMOTE;
            case DISCARD_REMOTE -> DISCARD_LOCAL;
            default -> this;
        };
    }

    @Override
    public String toString() {
        return configName;
    }

    /**
     * Reads a policy keyword from drbd.conf for the node {@code localNodeName}, resolving
     * {@code discard-node-NAME} as drbdadm does.
     */
    public static AfterSbPolicy fromConfig(String value, String localNodeName) {
        Objects.requireNonNull(value, "value");
        if (value.startsWith(DISCARD_NODE)) {
            String node = value.substring(DISCARD_NODE.length());
            if (node.isEmpty()) {
                throw new IllegalArgumentException("'" + value + "' names no node; write discard-node-HOSTNAME");
            }
            return node.equals(localNodeName) ? DISCARD_LOCAL : DISCARD_REMOTE;
        }
        for (AfterSbPolicy p : values()) {
            if (p.configName.equals(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not an after-sb policy; expected disconnect,"
                + " discard-younger-primary, discard-older-primary, discard-zero-changes, discard-least-changes,"
                + " discard-node-HOSTNAME, consensus, discard-secondary, call-pri-lost-after-sb or violently-as0p");
    }

    public static AfterSbPolicy fromWire(int value) {
        if (value < 0 || value >= values().length) {
            throw new IllegalArgumentException("after-sb policy wire value " + value + " is not one of DRBD's (0..10)");
        }
        return values()[value];
    }
}
