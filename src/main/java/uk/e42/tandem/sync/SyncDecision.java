package uk.e42.tandem.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import uk.e42.tandem.meta.GenerationUuids;
import uk.e42.tandem.state.ConnectionState;
import uk.e42.tandem.state.DiskState;
import uk.e42.tandem.state.Role;

/**
 * DRBD's sync handshake decision: {@link #uuidCompare} ({@code drbd_uuid_compare}, the numbered rules
 * 10..100 on the generation UUIDs) and {@link #handshake} on top of it ({@code drbd_sync_handshake}:
 * disk-state override, split-brain recovery, {@code --discard-my-data}, rr-conflict, full or bitmap
 * sync). Each node decides on its own from its view; with mirrored views the two decisions agree.
 *
 * <p>Results use DRBD's numbers: {@code 0} no sync, {@code 1}/{@code -1} bitmap-based sync as
 * source/target, {@code 2}/{@code -2} full sync as source/target, {@code 100} split brain that the
 * after-sb policies may resolve, {@code -100} split brain for manual resolution, {@code -1000}
 * unrelated data, {@code -1091} (below {@code -1000}) "needs protocol 91", and below {@code -0x10000}
 * "needs protocol {@code v & 0xff} and feature flags {@code (v >> 8) & 0xff}".
 */
public final class SyncDecision {

    /** create-md's current UUID: never written to. */
    public static final long UUID_JUST_CREATED = 4;
    /** Added to the bitmap UUID when a sync source starts a resync. */
    public static final long UUID_NEW_BM_OFFSET = 0x0001000000000000L;
    /** DRBD 8.4.11's highest protocol version. */
    public static final int PRO_VERSION_MAX = 101;
    /** Feature flag that also marks peers new enough for rule 41. */
    public static final int DRBD_FF_WSAME = 4;

    public static final int UNRELATED_DATA = -1000;
    public static final int SPLIT_BRAIN_AUTO = 100;
    public static final int SPLIT_BRAIN_MANUAL = -100;

    private SyncDecision() {
    }

    // ---------------------------------------------------------------- uuid_compare

    /**
     * What {@code drbd_uuid_compare} reads.
     *
     * @param self                  own generation UUIDs
     * @param peer                  the peer's generation UUIDs (P_UUIDS)
     * @param selfCrashedPrimary    own CRASHED_PRIMARY bit
     * @param peerCrashedPrimary    the peer's CRASHED_PRIMARY (P_UUIDS flag 2)
     * @param role                  own role now
     * @param peerRole              the peer's role now
     * @param resolveConflicts      this node holds RESOLVE_CONFLICTS
     * @param agreedProtocolVersion agreed protocol version (86..101)
     * @param agreedWriteSame       the DRBD_FF_WSAME feature was agreed
     */
    public record UuidInput(GenerationUuids self, GenerationUuids peer, boolean selfCrashedPrimary,
                            boolean peerCrashedPrimary, Role role, Role peerRole, boolean resolveConflicts,
                            int agreedProtocolVersion, boolean agreedWriteSame) {

        public UuidInput {
            Objects.requireNonNull(self, "self");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(peerRole, "peerRole");
        }

        /** The same comparison as the peer makes it. */
        public UuidInput mirrored() {
            return new UuidInput(peer, self, peerCrashedPrimary, selfCrashedPrimary, peerRole, role,
                    !resolveConflicts, agreedProtocolVersion, agreedWriteSame);
        }
    }

    /**
     * The comparison's outcome.
     *
     * @param hg   DRBD's result number
     * @param rule the rule that decided (DRBD's numbering, logged as "by rule N")
     * @param self own UUIDs, corrected by rules 34 and 71 (to be persisted when they differ)
     * @param peer the peer's UUIDs as this node now believes them, corrected by rules 35 and 51
     * @param log  DRBD's log lines, ending with {@code uuid_compare()=HG by rule N}
     */
    public record UuidComparison(int hg, int rule, GenerationUuids self, GenerationUuids peer, List<String> log) {

        public UuidComparison {
            log = List.copyOf(log);
        }
    }

    /** {@code drbd_uuid_compare}: rules in DRBD's evaluation order; bit 0 of every UUID is ignored. */
    public static UuidComparison uuidCompare(UuidInput in) {
        Objects.requireNonNull(in, "in");
        List<String> log = new ArrayList<>();
        Uuids own = new Uuids(in.self());
        Uuids peer = new Uuids(in.peer());
        int[] rule = new int[1];
        int hg = compare(in, own, peer, rule, log);
        log.add("uuid_compare()=" + hg + " by rule " + rule[0]);
        return new UuidComparison(hg, rule[0], own.toRecord(), peer.toRecord(), log);
    }

    private static int compare(UuidInput in, Uuids own, Uuids peerUuids, int[] rule, List<String> log) {
        long self = m(own.current);
        long peer = m(peerUuids.current);

        rule[0] = 10;
        if (self == UUID_JUST_CREATED && peer == UUID_JUST_CREATED) {
            return 0;
        }
        rule[0] = 20;
        if ((self == UUID_JUST_CREATED || self == 0) && peer != UUID_JUST_CREATED) {
            return -2;
        }
        rule[0] = 30;
        if (self != UUID_JUST_CREATED && (peer == UUID_JUST_CREATED || peer == 0)) {
            return 2;
        }

        if (self == peer) {
            if (peerUuids.bitmap == 0 && own.bitmap != 0) {
                if (in.agreedProtocolVersion() < 91) {
                    return -1091;
                }
                if (m(own.bitmap) == m(peerUuids.h1) && m(own.h1) == m(peerUuids.h2)) {
                    log.add("was SyncSource, missed the resync finished event, corrected myself:");
                    own.h2 = own.h1;
                    own.h1 = own.bitmap;
                    own.bitmap = 0;
                    rule[0] = 34;
                } else {
                    log.add("was SyncSource (peer failed to write sync_uuid)");
                    rule[0] = 36;
                }
                return 1;
            }
            if (own.bitmap == 0 && peerUuids.bitmap != 0) {
                if (in.agreedProtocolVersion() < 91) {
                    return -1091;
                }
                if (m(own.h1) == m(peerUuids.bitmap) && m(own.h2) == m(peerUuids.h1)) {
                    log.add("was SyncTarget, peer missed the resync finished event, corrected peer:");
                    peerUuids.h2 = peerUuids.h1;
                    peerUuids.h1 = peerUuids.bitmap;
                    peerUuids.bitmap = 0;
                    rule[0] = 35;
                } else {
                    log.add("was SyncTarget (failed to write sync_uuid)");
                    rule[0] = 37;
                }
                return -1;
            }

            // Same data generation, no bitmap UUID: a common power failure, or a Primary crash
            // while connected. The node that was Primary has the writes the other may lack.
            int rct = (in.selfCrashedPrimary() ? 1 : 0) + (in.peerCrashedPrimary() ? 2 : 0);
            rule[0] = 40;
            if (rct == 0) {
                return 0;
            }
            if (in.role() == Role.PRIMARY || in.peerRole() == Role.PRIMARY) {
                rule[0] = 41;
                if (!in.agreedWriteSame()) {
                    log.add("Equivalent unrotated UUIDs, but current primary present.");
                    return -(0x10000 | PRO_VERSION_MAX | (DRBD_FF_WSAME << 8));
                }
                if (in.role() == Role.PRIMARY && in.peerRole() == Role.PRIMARY) {
                    log.add("Equivalent unrotated UUIDs, but both are primary. Can not resolve this.");
                    return SPLIT_BRAIN_MANUAL;
                }
                return in.role() == Role.PRIMARY ? 1 : -1;
            }
            return switch (rct) {
                case 1 -> 1;
                case 2 -> -1;
                default -> in.resolveConflicts() ? -1 : 1;
            };
        }

        rule[0] = 50;
        if (self == m(peerUuids.bitmap)) {
            return -1;
        }

        rule[0] = 51;
        if (self == m(peerUuids.h1)) {
            boolean lostSyncUuid = in.agreedProtocolVersion() < 96
                    ? m(own.h1) == m(peerUuids.h2)
                    : m(peerUuids.h1) + UUID_NEW_BM_OFFSET == m(peerUuids.bitmap);
            if (lostSyncUuid) {
                if (in.agreedProtocolVersion() < 91) {
                    return -1091;
                }
                // The peer started a resync as source but we never got its P_SYNC_UUID: undo
                // that start in our copy of its UUIDs.
                peerUuids.bitmap = peerUuids.h1;
                peerUuids.h1 = peerUuids.h2;
                log.add("Lost last syncUUID packet, corrected:");
                return -1;
            }
        }

        rule[0] = 60;
        if (self == m(peerUuids.h1) || self == m(peerUuids.h2)) {
            return -2;
        }

        rule[0] = 70;
        peer = m(peerUuids.current);
        if (m(own.bitmap) == peer) {
            return 1;
        }

        rule[0] = 71;
        if (m(own.h1) == peer) {
            boolean lostSyncUuid = in.agreedProtocolVersion() < 96
                    ? m(own.h2) == m(peerUuids.h1)
                    : m(own.h1) + UUID_NEW_BM_OFFSET == m(own.bitmap);
            if (lostSyncUuid) {
                if (in.agreedProtocolVersion() < 91) {
                    return -1091;
                }
                own.bitmap = own.h1;
                own.h1 = own.h2;
                log.add("Last syncUUID did not get through, corrected:");
                return 1;
            }
        }

        rule[0] = 80;
        if (m(own.h1) == peer || m(own.h2) == peer) {
            return 2;
        }

        rule[0] = 90;
        if (m(own.bitmap) == m(peerUuids.bitmap) && m(own.bitmap) != 0) {
            return SPLIT_BRAIN_AUTO;
        }

        rule[0] = 100;
        for (long a : new long[] {own.h1, own.h2}) {
            for (long b : new long[] {peerUuids.h1, peerUuids.h2}) {
                if (m(a) == m(b)) {
                    return SPLIT_BRAIN_MANUAL;
                }
            }
        }
        return UNRELATED_DATA;
    }

    /** Bit 0 records the role, not the generation. */
    private static long m(long uuid) {
        return uuid & ~1L;
    }

    private static final class Uuids {
        long current;
        long bitmap;
        long h1;
        long h2;

        Uuids(GenerationUuids u) {
            current = u.current();
            bitmap = u.bitmap();
            h1 = u.history0();
            h2 = u.history1();
        }

        GenerationUuids toRecord() {
            return new GenerationUuids(current, bitmap, h1, h2);
        }
    }

    // ---------------------------------------------------------------- sync handshake

    /** P_UUIDS flag: the sender connects with {@code --discard-my-data}. */
    public static final long UUID_FLAG_DISCARD_MY_DATA = 1;
    /** P_UUIDS flag: the sender has CRASHED_PRIMARY. */
    public static final long UUID_FLAG_CRASHED_PRIMARY = 2;
    /** P_UUIDS flag: the sender's disk, once negotiated, is Inconsistent. */
    public static final long UUID_FLAG_INCONSISTENT = 4;

    /**
     * One node as seen in the handshake.
     *
     * @param uuids          generation UUIDs
     * @param bitmapBits     set bits in its bitmap when it sent its UUIDs ("changes")
     * @param role           role now
     * @param disk           disk state now
     * @param negotiatedDisk the disk state it enters after the handshake when {@code disk} is
     *                       Negotiating (an attach while connected); otherwise equal to {@code disk}
     * @param crashedPrimary CRASHED_PRIMARY bit
     * @param discardMyData  it connects with {@code --discard-my-data}
     */
    public record NodeView(GenerationUuids uuids, long bitmapBits, Role role, DiskState disk, DiskState negotiatedDisk,
                           boolean crashedPrimary, boolean discardMyData) {

        public NodeView {
            Objects.requireNonNull(uuids, "uuids");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(disk, "disk");
            Objects.requireNonNull(negotiatedDisk, "negotiatedDisk");
        }

        public static NodeView of(GenerationUuids uuids, long bitmapBits, Role role, DiskState disk) {
            return new NodeView(uuids, bitmapBits, role, disk, disk, false, false);
        }

        /** The peer as P_UUIDS (uuids, bits, flags) and P_STATE (role, disk) describe it. */
        public static NodeView ofPeer(GenerationUuids uuids, long bitmapBits, long uuidFlags, Role role, DiskState disk) {
            DiskState negotiated = disk == DiskState.NEGOTIATING
                    ? ((uuidFlags & UUID_FLAG_INCONSISTENT) != 0 ? DiskState.INCONSISTENT : DiskState.CONSISTENT)
                    : disk;
            return new NodeView(uuids, bitmapBits, role, disk, negotiated,
                    (uuidFlags & UUID_FLAG_CRASHED_PRIMARY) != 0, (uuidFlags & UUID_FLAG_DISCARD_MY_DATA) != 0);
        }

        /** The flags word this node sends in P_UUIDS. */
        public long uuidFlags() {
            return (discardMyData ? UUID_FLAG_DISCARD_MY_DATA : 0)
                    | (crashedPrimary ? UUID_FLAG_CRASHED_PRIMARY : 0)
                    | (negotiatedDisk == DiskState.INCONSISTENT ? UUID_FLAG_INCONSISTENT : 0);
        }

        /** The disk state the handshake weighs: the negotiated one while Negotiating. */
        DiskState effectiveDisk() {
            return disk == DiskState.NEGOTIATING ? negotiatedDisk : disk;
        }
    }

    /**
     * The net options the handshake reads.
     *
     * @param afterSb     the three after-sb policies
     * @param rrConflict  {@code rr-conflict}
     * @param alwaysAsbp  {@code always-asbp}: try the after-sb policies also when the UUIDs are ambiguous (-100)
     * @param tentative   {@code connect --dry-run} / {@code --tentative}: log the outcome, then disconnect
     */
    public record Policy(SplitBrainResolver.Policies afterSb, RrConflict rrConflict, boolean alwaysAsbp,
                         boolean tentative) {

        public static final Policy DEFAULT = new Policy(SplitBrainResolver.Policies.DEFAULT, RrConflict.DISCONNECT,
                false, false);

        public Policy {
            Objects.requireNonNull(afterSb, "afterSb");
            Objects.requireNonNull(rrConflict, "rrConflict");
        }
    }

    /**
     * Everything one node weighs in the handshake.
     *
     * @param self                  this node
     * @param peer                  the peer as it reported itself
     * @param resolveConflicts      this node holds RESOLVE_CONFLICTS (it accepted the meta socket)
     * @param policy                net options
     * @param agreedProtocolVersion agreed protocol version
     * @param agreedWriteSame       DRBD_FF_WSAME agreed
     * @param canBecomeSecondary    demoting this node would succeed now (call-pri-lost-after-sb)
     */
    public record HandshakeInput(NodeView self, NodeView peer, boolean resolveConflicts, Policy policy,
                                 int agreedProtocolVersion, boolean agreedWriteSame, boolean canBecomeSecondary) {

        public HandshakeInput {
            Objects.requireNonNull(self, "self");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(policy, "policy");
        }

        /** Tandem's peers speak 8.4.11's protocol with all features. */
        public static HandshakeInput of(NodeView self, NodeView peer, boolean resolveConflicts, Policy policy) {
            return new HandshakeInput(self, peer, resolveConflicts, policy, PRO_VERSION_MAX, true, true);
        }

        /** The handshake as the peer runs it; {@code peerCanBecomeSecondary} is the peer's own fact. */
        public HandshakeInput mirrored(boolean peerCanBecomeSecondary) {
            return new HandshakeInput(peer, self, !resolveConflicts, policy, agreedProtocolVersion, agreedWriteSame,
                    peerCanBecomeSecondary);
        }
    }

    /** Where the handshake leads. */
    public enum Outcome {
        /** Connected, no resync. */
        NO_SYNC(ConnectionState.CONNECTED),
        /** WFBitMapS: exchange bitmaps, then SyncSource. */
        BECOME_SYNC_SOURCE(ConnectionState.WF_BIT_MAP_S),
        /** WFBitMapT: exchange bitmaps, then SyncTarget. */
        BECOME_SYNC_TARGET(ConnectionState.WF_BIT_MAP_T),
        /** The connection is dropped (Disconnecting, then StandAlone). */
        DISCONNECT(ConnectionState.DISCONNECTING);

        private final ConnectionState nextConn;

        Outcome(ConnectionState nextConn) {
            this.nextConn = nextConn;
        }

        /** The connection state to request next. */
        public ConnectionState nextConn() {
            return nextConn;
        }
    }

    /** How a detected split brain ended. */
    public enum SplitBrain {
        NONE,
        /** "Split-Brain detected, N primaries, automatically solved." */
        AUTOMATICALLY_SOLVED,
        /** "Split-Brain detected, manually solved." (--discard-my-data) */
        MANUALLY_SOLVED,
        /** "Split-Brain detected but unresolved, dropping connection!" */
        UNRESOLVED
    }

    /**
     * The handshake's decision.
     *
     * @param comparison    the uuid_compare result (rule number, corrected UUIDs)
     * @param hg            the final number (after overrides and recovery); meaningless when disconnecting
     * @param outcome       where the connection goes
     * @param fullSync      set every bitmap bit first ("Writing the whole bitmap, full sync required")
     * @param splitBrain    whether and how a split brain was handled
     * @param handlers      handlers to run, in order
     * @param gaveUpPrimary this node was demoted by call-pri-lost-after-sb
     * @param log           DRBD's log lines, in order
     */
    public record Handshake(UuidComparison comparison, int hg, Outcome outcome, boolean fullSync, SplitBrain splitBrain,
                            List<Handler> handlers, boolean gaveUpPrimary, List<String> log) {

        public Handshake {
            handlers = List.copyOf(handlers);
            log = List.copyOf(log);
        }

        public int rule() {
            return comparison.rule();
        }
    }

    /** {@code drbd_sync_handshake}. */
    public static Handshake handshake(HandshakeInput in) {
        Objects.requireNonNull(in, "in");
        NodeView self = in.self();
        NodeView peer = in.peer();
        DiskState mydisk = self.effectiveDisk();
        DiskState peerDisk = peer.effectiveDisk();
        List<String> log = new ArrayList<>();
        List<Handler> handlers = new ArrayList<>();

        log.add("drbd_sync_handshake:");
        log.add(dump("self", self.uuids(), self.bitmapBits(), 0));
        log.add(dump("peer", peer.uuids(), peer.bitmapBits(), peer.uuidFlags()));
        UuidComparison cmp = uuidCompare(new UuidInput(self.uuids(), peer.uuids(), self.crashedPrimary(),
                peer.crashedPrimary(), self.role(), peer.role(), in.resolveConflicts(), in.agreedProtocolVersion(),
                in.agreedWriteSame()));
        log.addAll(cmp.log());
        int hg = cmp.hg();

        if (hg == UNRELATED_DATA) {
            log.add("Unrelated data, aborting!");
            return drop(cmp, hg, SplitBrain.NONE, handlers, false, log);
        }
        if (hg < -0x10000) {
            int v = -hg;
            log.add(String.format("To resolve this both sides have to support at least protocol %d and feature flags 0x%x",
                    v & 0xff, (v >> 8) & 0xff));
            return drop(cmp, hg, SplitBrain.NONE, handlers, false, log);
        }
        if (hg < UNRELATED_DATA) {
            log.add("To resolve this both sides have to support at least protocol " + (-hg - 1000));
            return drop(cmp, hg, SplitBrain.NONE, handlers, false, log);
        }

        // The side with usable data wins over an Inconsistent one, whatever the UUIDs say.
        if ((mydisk == DiskState.INCONSISTENT && peerDisk.isAbove(DiskState.INCONSISTENT))
                || (peerDisk == DiskState.INCONSISTENT && mydisk.isAbove(DiskState.INCONSISTENT))) {
            boolean full = hg == SPLIT_BRAIN_MANUAL || Math.abs(hg) == 2;
            hg = mydisk.isAbove(DiskState.INCONSISTENT) ? 1 : -1;
            if (full) {
                hg *= 2;
            }
            log.add("Becoming sync " + (hg > 0 ? "source" : "target") + " due to disk states.");
        }

        SplitBrain splitBrain = SplitBrain.NONE;
        if (Math.abs(hg) == SPLIT_BRAIN_AUTO) {
            handlers.add(Handler.INITIAL_SPLIT_BRAIN);
            splitBrain = SplitBrain.UNRESOLVED;
        }

        boolean gaveUpPrimary = false;
        if (hg == SPLIT_BRAIN_AUTO || (hg == SPLIT_BRAIN_MANUAL && in.policy().alwaysAsbp())) {
            boolean forced = hg == SPLIT_BRAIN_MANUAL;
            SplitBrainResolver.Recovery r = SplitBrainResolver.recover(in.policy().afterSb(), new SplitBrainResolver.View(
                    (self.uuids().bitmap() & 1) != 0, (peer.uuids().bitmap() & 1) != 0,
                    self.bitmapBits(), peer.bitmapBits(), self.role(), peer.role(), in.resolveConflicts(),
                    in.canBecomeSecondary()));
            log.addAll(r.log());
            handlers.addAll(r.handlers());
            gaveUpPrimary = r.gaveUpPrimary();
            hg = r.hg();
            if (Math.abs(hg) < SPLIT_BRAIN_AUTO) {
                splitBrain = SplitBrain.AUTOMATICALLY_SOLVED;
                log.add("Split-Brain detected, " + r.primaries() + " primaries, automatically solved. Sync from "
                        + (hg < 0 ? "peer" : "this") + " node");
                if (forced) {
                    log.add("Doing a full sync, since UUIDs where ambiguous.");
                    hg *= 2;
                }
            }
        }

        // Deviation from DRBD: when call-pri-lost-after-sb made this Primary the victim and it could
        // not demote, DRBD lets the peer's --discard-my-data flip the decision here, while the peer
        // (whose own policy made it the winner) ignores its flag: both would become SyncSource.
        // The victim keeps DRBD's intended answer instead, and drops the connection.
        boolean priLost = handlers.contains(Handler.PRI_LOST_AFTER_SB);
        if (hg == SPLIT_BRAIN_MANUAL && !priLost) {
            if (self.discardMyData() && !peer.discardMyData()) {
                hg = -1;
            }
            if (!self.discardMyData() && peer.discardMyData()) {
                hg = 1;
            }
            if (Math.abs(hg) < SPLIT_BRAIN_AUTO) {
                splitBrain = SplitBrain.MANUALLY_SOLVED;
                log.add("Split-Brain detected, manually solved. Sync from " + (hg < 0 ? "peer" : "this") + " node");
            }
        }

        if (hg == SPLIT_BRAIN_MANUAL) {
            log.add("Split-Brain detected but unresolved, dropping connection!");
            handlers.add(Handler.SPLIT_BRAIN);
            return drop(cmp, hg, SplitBrain.UNRESOLVED, handlers, gaveUpPrimary, log);
        }

        if (hg > 0 && mydisk.isAtMost(DiskState.INCONSISTENT)) {
            log.add("I shall become SyncSource, but I am inconsistent!");
            return drop(cmp, hg, splitBrain, handlers, gaveUpPrimary, log);
        }

        // DRBD deliberately looks at the current disk state here, not the negotiated one.
        Role roleNow = gaveUpPrimary ? Role.SECONDARY : self.role();
        if (hg < 0 && roleNow == Role.PRIMARY && self.disk().isAtLeast(DiskState.CONSISTENT)) {
            switch (in.policy().rrConflict()) {
                case CALL_PRI_LOST, DISCONNECT -> {
                    if (in.policy().rrConflict() == RrConflict.CALL_PRI_LOST) {
                        handlers.add(Handler.PRI_LOST);
                    }
                    log.add("I shall become SyncTarget, but I am primary!");
                    return drop(cmp, hg, splitBrain, handlers, gaveUpPrimary, log);
                }
                case VIOLENTLY -> log.add("Becoming SyncTarget, violating the stable-data assumption");
            }
        }

        if (in.policy().tentative()) {
            if (hg == 0) {
                log.add("dry-run connect: No resync, would become Connected immediately.");
            } else {
                log.add("dry-run connect: Would become " + (hg > 0 ? "SyncSource" : "SyncTarget") + ", doing a "
                        + (Math.abs(hg) >= 2 ? "full" : "bit-map based") + " resync.");
            }
            return drop(cmp, hg, splitBrain, handlers, gaveUpPrimary, log);
        }

        boolean fullSync = Math.abs(hg) >= 2;
        if (fullSync) {
            log.add("Writing the whole bitmap, full sync required after drbd_sync_handshake.");
        }
        Outcome outcome;
        if (hg > 0) {
            outcome = Outcome.BECOME_SYNC_SOURCE;
        } else if (hg < 0) {
            outcome = Outcome.BECOME_SYNC_TARGET;
        } else {
            outcome = Outcome.NO_SYNC;
            if (self.bitmapBits() != 0) {
                log.add("No resync, but " + self.bitmapBits() + " bits in bitmap!");
            }
        }
        return new Handshake(cmp, hg, outcome, fullSync, splitBrain, handlers, gaveUpPrimary, log);
    }

    private static Handshake drop(UuidComparison cmp, int hg, SplitBrain splitBrain, List<Handler> handlers,
                                  boolean gaveUpPrimary, List<String> log) {
        return new Handshake(cmp, hg, Outcome.DISCONNECT, false, splitBrain, handlers, gaveUpPrimary, log);
    }

    /** DRBD's {@code drbd_uuid_dump} line. */
    static String dump(String who, GenerationUuids u, long bits, long flags) {
        return String.format("%s %016X:%016X:%016X:%016X bits:%s flags:%X", who, u.current(), u.bitmap(),
                u.history0(), u.history1(), Long.toUnsignedString(bits), flags);
    }
}
