package uk.e42.tandem.meta;

/** The superblock's MDF_* flag bits (DRBD 8.4 {@code enum mdf_flag}) and their meaning as drbdmeta prints it. */
public final class MdFlags {
    /** The disk is better than Inconsistent. */
    public static final int CONSISTENT = 0x001;
    /** Primary (or the peer is Primary and this node's disk serves it). */
    public static final int PRIMARY_IND = 0x002;
    /** Connected to the peer. */
    public static final int CONNECTED_IND = 0x004;
    /** A full sync is being set up: all bits get set at the next attach. */
    public static final int FULL_SYNC = 0x008;
    /** The disk is better than Outdated. */
    public static final int WAS_UP_TO_DATE = 0x010;
    /** The peer's disk is Inconsistent..Outdated. */
    public static final int PEER_OUT_DATED = 0x020;
    /** Was Primary when it crashed, and has not seen its peer since. */
    public static final int CRASHED_PRIMARY = 0x040;
    /** The activity log needs no replay. */
    public static final int AL_CLEAN = 0x080;
    /** {@code al-updates no}. */
    public static final int AL_DISABLED = 0x100;

    private MdFlags() {
    }

    /** get-gi's seven digits: Consistent, WasUpToDate, Primary, Connected, FullSync, PeerOutdated, CrashedPrimary. */
    public static String giDigits(int flags) {
        int[] order = {CONSISTENT, WAS_UP_TO_DATE, PRIMARY_IND, CONNECTED_IND, FULL_SYNC, PEER_OUT_DATED,
            CRASHED_PRIMARY};
        StringBuilder s = new StringBuilder();
        for (int bit : order) {
            s.append(s.isEmpty() ? "" : ":").append((flags & bit) != 0 ? 1 : 0);
        }
        return s.toString();
    }

    /** show-gi's summary line, e.g. {@code flags: Secondary, StandAlone, Inconsistent}. */
    public static String summary(int flags) {
        return "flags:" + ((flags & CRASHED_PRIMARY) != 0 ? " crashed" : "")
                + " " + ((flags & PRIMARY_IND) != 0 ? "Primary" : "Secondary")
                + ", " + ((flags & CONNECTED_IND) != 0 ? "Connected" : "StandAlone")
                + ", " + diskState(flags)
                + ((flags & FULL_SYNC) != 0 ? ", need full sync" : "")
                + ((flags & PEER_OUT_DATED) != 0 ? ", peer Outdated" : "");
    }

    /** The disk state show-gi names: UpToDate, Outdated or Inconsistent. */
    public static String diskState(int flags) {
        if ((flags & CONSISTENT) == 0) {
            return "Inconsistent";
        }
        return (flags & WAS_UP_TO_DATE) != 0 ? "UpToDate" : "Outdated";
    }

    /** drbdmeta's {@code dstate}: what the disk can be attached as. */
    public static String dstate(int flags) {
        if ((flags & CONSISTENT) == 0) {
            return "Inconsistent";
        }
        if ((flags & WAS_UP_TO_DATE) == 0) {
            return "Outdated";
        }
        return (flags & PEER_OUT_DATED) != 0 ? "UpToDate" : "Consistent";
    }
}
