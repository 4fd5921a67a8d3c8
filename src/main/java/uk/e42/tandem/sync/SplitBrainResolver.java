package uk.e42.tandem.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import uk.e42.tandem.state.Role;

/**
 * DRBD's automatic split-brain recovery ({@code drbd_asb_recover_0p/1p/2p}): given the after-sb
 * policies and what each node knows, decide who keeps its data. Results use DRBD's convention:
 * {@code 1} this node becomes SyncSource (the peer's changes are discarded), {@code -1} this node
 * becomes SyncTarget (its own changes are discarded), {@code -100} unresolved (disconnect). Each node
 * decides on its own with mirrored inputs; the two answers always agree.
 */
public final class SplitBrainResolver {

    public static final int UNRESOLVED = -100;

    private SplitBrainResolver() {
    }

    /** The three after-sb policies of the connection. */
    public record Policies(AfterSbPolicy afterSb0pri, AfterSbPolicy afterSb1pri, AfterSbPolicy afterSb2pri) {

        /** drbd.conf defaults: disconnect, disconnect, disconnect. */
        public static final Policies DEFAULT = new Policies(AfterSbPolicy.DISCONNECT, AfterSbPolicy.DISCONNECT,
                AfterSbPolicy.DISCONNECT);

        public Policies {
            Objects.requireNonNull(afterSb0pri, "afterSb0pri");
            Objects.requireNonNull(afterSb1pri, "afterSb1pri");
            Objects.requireNonNull(afterSb2pri, "afterSb2pri");
        }
    }

    /**
     * What one node knows at the handshake.
     *
     * @param selfWasPrimary     bit 0 of own bitmap UUID: own diverging generation began on a Primary
     * @param peerWasPrimary     bit 0 of the peer's bitmap UUID
     * @param selfChanges        own set bitmap bits when the UUIDs were sent (DRBD's {@code comm_bm_set})
     * @param peerChanges        the peer's set bitmap bits (P_UUIDS)
     * @param role               own role now
     * @param peerRole           the peer's role now
     * @param resolveConflicts   this node holds RESOLVE_CONFLICTS (it accepted the meta socket): it loses ties
     * @param canBecomeSecondary demoting this node would succeed now (call-pri-lost-after-sb tries it)
     */
    public record View(boolean selfWasPrimary, boolean peerWasPrimary, long selfChanges, long peerChanges,
                       Role role, Role peerRole, boolean resolveConflicts, boolean canBecomeSecondary) {

        public View {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(peerRole, "peerRole");
        }

        /** The same situation seen from the peer; {@code peerCanBecomeSecondary} is the peer's own fact. */
        public View mirrored(boolean peerCanBecomeSecondary) {
            return new View(peerWasPrimary, selfWasPrimary, peerChanges, selfChanges, peerRole, role,
                    !resolveConflicts, peerCanBecomeSecondary);
        }

        public int primaries() {
            return (role == Role.PRIMARY ? 1 : 0) + (peerRole == Role.PRIMARY ? 1 : 0);
        }
    }

    /**
     * The decision.
     *
     * @param hg            1 sync from this node, -1 sync from the peer, -100 unresolved
     * @param primaries     how many Primaries there were (which policy applied)
     * @param policy        the policy that applied
     * @param handlers      handlers to run, in order
     * @param gaveUpPrimary call-pri-lost-after-sb demoted this node ("Successfully gave up primary role.")
     * @param log           DRBD's log lines for the decision
     */
    public record Recovery(int hg, int primaries, AfterSbPolicy policy, List<Handler> handlers, boolean gaveUpPrimary,
                           List<String> log) {

        public Recovery {
            handlers = List.copyOf(handlers);
            log = List.copyOf(log);
        }

        public boolean resolved() {
            return hg != UNRESOLVED;
        }

        /** This node's data survives; the peer's changes are discarded. */
        public boolean thisNodeWins() {
            return hg > 0;
        }
    }

    /** Applies after-sb-0pri, -1pri or -2pri according to the number of Primaries now. */
    public static Recovery recover(Policies policies, View view) {
        Objects.requireNonNull(policies, "policies");
        Objects.requireNonNull(view, "view");
        List<String> log = new ArrayList<>();
        List<Handler> handlers = new ArrayList<>();
        int primaries = view.primaries();
        return switch (primaries) {
            case 0 -> new Recovery(recover0p(policies.afterSb0pri(), view, log), 0, policies.afterSb0pri(), handlers,
                    false, log);
            case 1 -> recover1p(policies, view, log, handlers);
            default -> recover2p(policies, view, log, handlers);
        };
    }

    /** {@code drbd_asb_recover_0p}, with the code's fall-through from younger/older primary to the change counts. */
    static int recover0p(AfterSbPolicy policy, View v, List<String> log) {
        int self = v.selfWasPrimary() ? 1 : 0;
        int peer = v.peerWasPrimary() ? 1 : 0;
        int tieBreak = v.resolveConflicts() ? -1 : 1;
        switch (policy) {
            case CONSENSUS, DISCARD_SECONDARY, CALL_PRI_LOST_AFTER_SB, VIOLENTLY_AS0P -> {
                log.add("Configuration error.");
                return UNRESOLVED;
            }
            case DISCONNECT -> {
                return UNRESOLVED;
            }
            case DISCARD_LOCAL -> {
                return -1;
            }
            case DISCARD_REMOTE -> {
                return 1;
            }
            default -> {
                // younger/older primary, zero changes, least changes: handled below in DRBD's order
            }
        }
        if (policy == AfterSbPolicy.DISCARD_YOUNGER_PRIMARY) {
            if (self == 0 && peer == 1) {
                return -1;
            }
            if (self == 1 && peer == 0) {
                return 1;
            }
        }
        if (policy == AfterSbPolicy.DISCARD_YOUNGER_PRIMARY || policy == AfterSbPolicy.DISCARD_OLDER_PRIMARY) {
            if (self == 0 && peer == 1) {
                return 1;
            }
            if (self == 1 && peer == 0) {
                return -1;
            }
            log.add("Discard younger/older primary did not find a decision");
            log.add("Using discard-least-changes instead");
        }
        if (policy != AfterSbPolicy.DISCARD_LEAST_CHANGES) {
            long chSelf = v.selfChanges();
            long chPeer = v.peerChanges();
            if (chPeer == 0 && chSelf == 0) {
                return tieBreak;
            }
            if (chPeer == 0) {
                return 1;
            }
            if (chSelf == 0) {
                return -1;
            }
            if (policy == AfterSbPolicy.DISCARD_ZERO_CHANGES) {
                return UNRESOLVED;
            }
        }
        int cmp = Long.compareUnsigned(v.selfChanges(), v.peerChanges());
        return cmp < 0 ? -1 : cmp > 0 ? 1 : tieBreak;
    }

    private static Recovery recover1p(Policies p, View v, List<String> log, List<Handler> handlers) {
        AfterSbPolicy policy = p.afterSb1pri();
        boolean primary = v.role() == Role.PRIMARY;
        int rv = UNRESOLVED;
        switch (policy) {
            case DISCARD_YOUNGER_PRIMARY, DISCARD_OLDER_PRIMARY, DISCARD_LEAST_CHANGES, DISCARD_LOCAL, DISCARD_REMOTE,
                    DISCARD_ZERO_CHANGES -> log.add("Configuration error.");
            case DISCONNECT -> {
            }
            case CONSENSUS -> {
                // Only if the 0pri policy sacrifices the Secondary: the Primary keeps its data.
                int hg = recover0p(p.afterSb0pri(), v, log);
                if ((hg == -1 && !primary) || (hg == 1 && primary)) {
                    rv = hg;
                }
            }
            case VIOLENTLY_AS0P -> rv = recover0p(p.afterSb0pri(), v, log);
            case DISCARD_SECONDARY -> rv = primary ? 1 : -1;
            case CALL_PRI_LOST_AFTER_SB -> {
                return primaryLostAfterSb(p, v, log, handlers, primary, 1);
            }
        }
        return new Recovery(rv, 1, policy, handlers, false, log);
    }

    private static Recovery recover2p(Policies p, View v, List<String> log, List<Handler> handlers) {
        AfterSbPolicy policy = p.afterSb2pri();
        int rv = UNRESOLVED;
        switch (policy) {
            case DISCARD_YOUNGER_PRIMARY, DISCARD_OLDER_PRIMARY, DISCARD_LEAST_CHANGES, DISCARD_LOCAL, DISCARD_REMOTE,
                    CONSENSUS, DISCARD_SECONDARY, DISCARD_ZERO_CHANGES -> log.add("Configuration error.");
            case VIOLENTLY_AS0P -> rv = recover0p(p.afterSb0pri(), v, log);
            case DISCONNECT -> {
            }
            case CALL_PRI_LOST_AFTER_SB -> {
                return primaryLostAfterSb(p, v, log, handlers, true, 2);
            }
        }
        return new Recovery(rv, 2, policy, handlers, false, log);
    }

    /**
     * call-pri-lost-after-sb: as after-sb-0pri decides; a Primary that loses gives up its role, or, when it
     * cannot (the device is in use), the pri-lost-after-sb handler runs and the split brain stays.
     */
    private static Recovery primaryLostAfterSb(Policies p, View v, List<String> log, List<Handler> handlers,
            boolean primary, int primaries) {
        int hg = recover0p(p.afterSb0pri(), v, log);
        boolean gaveUp = false;
        if (hg == -1 && primary) {
            if (v.canBecomeSecondary()) {
                log.add("Successfully gave up primary role.");
                gaveUp = true;
            } else {
                handlers.add(Handler.PRI_LOST_AFTER_SB);
                hg = UNRESOLVED;
            }
        }
        return new Recovery(hg, primaries, AfterSbPolicy.CALL_PRI_LOST_AFTER_SB, handlers, gaveUp, log);
    }
}
