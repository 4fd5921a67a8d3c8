package uk.e42.tandem.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The size of the replicated device, as DRBD 8.4 decides it ({@code drbd_new_dev_size} and the checks of
 * {@code drbd_adm_resize} / {@code drbd_determine_dev_size}). All sizes in 512-byte sectors; 0 means
 * unknown or not set. Refusals carry drbdsetup's code and text ({@code 0: Failure: (130) Resize not
 * allowed during resync.}) and, where DRBD logs why, that line too.
 */
public final class DeviceSize {
    private DeviceSize() {
    }

    /** A refused resize: drbdsetup's {@code drbd_ret_code} and text, and what DRBD's kernel log adds. */
    public record Refusal(int code, String text, String detail) {
        /** What drbdsetup prints: {@code Failure: (130) Resize not allowed during resync.} and the detail. */
        public String message() {
            return "Failure: (" + code + ") " + text + (detail.isEmpty() ? "" : "\n" + detail);
        }
    }

    public static final int ERR_DISK_TOO_SMALL = 111;
    public static final int ERR_RESIZE_RESYNC = 130;
    public static final int ERR_NO_PRIMARY = 131;
    public static final int ERR_NO_DISK = 138;
    public static final int ERR_IMPLICIT_SHRINK = 170;

    /**
     * Whether {@code resize} may run in this state: a disk is needed, no resync or verify may run, and
     * while connected one node must be Primary (it becomes the SyncSource of a grown area).
     */
    public static Optional<Refusal> stateRefusal(ResourceState s) {
        if (s.disk().isBelow(DiskState.INCONSISTENT)) {
            return Optional.of(new Refusal(ERR_NO_DISK, "Device does not have a disk-config",
                    "the disk is " + s.disk().drbdName() + "; attach it first (tandem up / tandem attach)"));
        }
        if (s.conn().isAtLeast(ConnectionState.CONNECTED) && s.conn() != ConnectionState.CONNECTED) {
            return Optional.of(new Refusal(ERR_RESIZE_RESYNC, "Resize not allowed during resync.",
                    "the connection is " + s.conn().drbdName() + "; wait until it is Connected again"));
        }
        if (s.role() == Role.SECONDARY && s.peer() == Role.SECONDARY) {
            return Optional.of(new Refusal(ERR_NO_PRIMARY, "Need one Primary node to resize.",
                    "both nodes are Secondary; make one Primary (tandem primary) and resize there or on the peer"));
        }
        return Optional.empty();
    }

    /**
     * What a resize asks for.
     *
     * @param mySectors         what this node's backing device offers now (with the meta data at its new place)
     * @param peerSectors       what the peer's backing device offers (its last P_SIZES); 0 when not connected
     * @param currentSectors    the device's current (last agreed) size
     * @param userSectors       {@code resize --size}, else {@code disk { size }}; 0 when neither is set
     * @param connected         whether the peer is connected
     * @param assumePeerHasSpace {@code --assume-peer-has-space}: while not connected, take the peer to have as much
     *                          as this node
     */
    public record Request(long mySectors, long peerSectors, long currentSectors, long userSectors, boolean connected,
            boolean assumePeerHasSpace) {
    }

    /** The new size, or why there is none; {@code log} holds DRBD's kernel log lines on the way. */
    public record Decision(long sectors, Optional<Refusal> refusal, List<String> log) {
        public boolean grows(long current) {
            return refusal.isEmpty() && sectors > current;
        }
    }

    /** {@code drbd_new_dev_size} followed by the refusals of {@code drbd_determine_dev_size} and resize. */
    public static Decision decide(Request r) {
        List<String> log = new ArrayList<>();
        long peer = r.peerSectors();
        long mine = r.mySectors();
        if (!r.connected() && r.assumePeerHasSpace()) {
            log.add("Resize while not connected was forced by the user!");
            peer = mine;
        }
        long size = bothDisks(mine, peer, r.currentSectors());
        if (size == 0) {
            log.add("Both nodes diskless!");
            return refused(size, new Refusal(ERR_NO_DISK, "Device does not have a disk-config", "Both nodes diskless!"),
                    log);
        }
        long user = r.userSectors();
        if (user != 0) {
            if (user > size) {
                String line = tooBig(user, size);
                log.add(line);
                return refused(size, new Refusal(ERR_DISK_TOO_SMALL, "Low.dev. smaller than requested DRBD-dev. size.",
                        line + " KiB; the backing devices " + (r.connected() || peer == mine ? "(the smaller of both"
                                + " nodes) " : "") + "offer " + size + " sectors"), log);
            }
            return new Decision(user, Optional.empty(), List.copyOf(log));
        }
        if (size < r.currentSectors()) {
            String line = "Implicit shrink not allowed. Use --size=" + size + "s for explicit shrink.";
            log.add(line);
            return refused(size, new Refusal(ERR_IMPLICIT_SHRINK, "Implicit device shrinking not allowed. See kernel log.",
                    line + " Data beyond sector " + size + " would be lost."), log);
        }
        if (size == r.currentSectors() && mine > size) {
            String why = peer == 0
                    ? "the peer is not connected, so its size is unknown. Connect first, or use --assume-peer-has-space"
                    + " if the peer's backing device has grown as well"
                    : "The peer's disk size is too small! (" + peer + " < " + mine + " sectors). Grow the peer's backing"
                    + " device first, then run resize again";
            return refused(size, new Refusal(ERR_DISK_TOO_SMALL, "Low.dev. smaller than requested DRBD-dev. size.",
                    "this node offers " + mine + " sectors, but the device stays at " + size + ": " + why), log);
        }
        return new Decision(size, Optional.empty(), List.copyOf(log));
    }

    /**
     * What the sizes exchanged when a connection is made decide (DRBD 8.4's receive_sizes in WFReportParams
     * and drbd_determine_dev_size): with both disks' sizes known the smaller one wins, so the device
     * <em>grows</em> when both backing devices offer more than its current size, and shrinks when the peer
     * offers less. The user size ({@link #userSizeAtConnect}) caps it. Shrinking a device whose data counts is refused ("The peer's disk size is too small!"); an
     * Inconsistent one takes the smaller size.
     *
     * @param mySectors     what this node's backing device offers (with internal meta data at its end)
     * @param peerSectors   what the peer's offers (its P_SIZES d_size)
     * @param currentSectors this device's size now
     * @param userSectors   the user size both nodes agree on; 0: none
     * @param dataCounts    this node's data counts (Outdated or better, or Primary): it must not shrink
     */
    public static Decision atConnect(long mySectors, long peerSectors, long currentSectors, long userSectors,
            boolean dataCounts) {
        List<String> log = new ArrayList<>();
        long size = bothDisks(mySectors, peerSectors, currentSectors);
        if (userSectors != 0) {
            if (userSectors > size) {
                log.add(tooBig(userSectors, size));
            } else {
                size = userSectors;
            }
        }
        if (size < currentSectors && dataCounts) {
            log.add("The peer's disk size is too small!");
            return refused(size, new Refusal(ERR_DISK_TOO_SMALL, "The peer's disk size is too small!", "the"
                    + " agreed size would be " + size + " sectors, but this node's data fills " + currentSectors), log);
        }
        return new Decision(size, Optional.empty(), List.copyOf(log));
    }

    /** At connect the user size is the smaller non-zero one of both nodes' (DRBD's min_not_zero). */
    public static long userSizeAtConnect(long mine, long peers) {
        return mine == 0 ? peers : peers == 0 ? mine : Math.min(mine, peers);
    }

    /** {@code drbd_new_dev_size} before the user size: the smaller disk, else the last agreed size clipped. */
    private static long bothDisks(long mine, long peer, long current) {
        if (peer != 0 && mine != 0) {
            return Math.min(peer, mine);
        }
        if (current != 0) {
            long size = current;
            if (mine != 0 && mine < size) {
                size = mine;
            }
            if (peer != 0 && peer < size) {
                size = peer;
            }
            return size;
        }
        return mine != 0 ? mine : peer;
    }

    private static String tooBig(long user, long size) {
        return "Requested disk size is too big (" + user / 2 + " > " + size / 2 + ")";
    }

    private static Decision refused(long size, Refusal refusal, List<String> log) {
        return new Decision(size, Optional.of(refusal), List.copyOf(log));
    }
}
