package uk.e42.tandem.state;

import java.util.Objects;

/**
 * The disk state DRBD 8.4 enters when a backing disk is attached ({@code drbd_adm_attach}), derived
 * from the meta-data flags of the superblock. This is why a rebooted node whose disk was UpToDate
 * may become Primary before its peer is back: Consistent becomes UpToDate at once when the peer is
 * known Outdated or fencing is dont-care (the default).
 */
public final class DiskAttach {

    private DiskAttach() {
    }

    /**
     * The superblock flags the attach reads (MDF_* in DRBD; the meta package owns their bit values).
     *
     * @param consistent     MDF_CONSISTENT: the disk was above Inconsistent
     * @param wasUpToDate    MDF_WAS_UP_TO_DATE: the disk was above Outdated
     * @param peerOutDated   MDF_PEER_OUT_DATED: the peer's disk was known Inconsistent..Outdated
     * @param primaryInd     MDF_PRIMARY_IND: the node was Primary when the meta data was last written
     * @param crashedPrimary MDF_CRASHED_PRIMARY: a Primary crash not yet resolved by a resync
     * @param fullSync       MDF_FULL_SYNC: a full sync was being set up
     * @param alDisabled     MDF_AL_DISABLED: {@code al-updates no}, so the activity log cannot say what changed
     */
    public record MetaDataFlags(boolean consistent, boolean wasUpToDate, boolean peerOutDated, boolean primaryInd,
                                boolean crashedPrimary, boolean fullSync, boolean alDisabled) {
    }

    /**
     * The result of an attach.
     *
     * @param state          the state to request (disk Negotiating when the device is already Connected)
     * @param pendingDisk    when Negotiating: the disk state decided from the flags, entered once the
     *                       peer has sent its UUIDs ({@code new_state_tmp.disk}); otherwise null
     * @param pendingPdsk    when Negotiating: the peer disk state decided likewise; otherwise null
     * @param crashedPrimary the CRASHED_PRIMARY bit for the coming handshake (uuid_compare rule 40)
     * @param setAllBits     "Assuming that all blocks are out of sync (aka FullSync)": set every bitmap bit
     */
    public record Outcome(ResourceState state, DiskState pendingDisk, DiskState pendingPdsk, boolean crashedPrimary,
                          boolean setAllBits) {

        public boolean negotiating() {
            return pendingDisk != null;
        }
    }

    /** The disk state from the flags alone: CONSISTENT+WAS_UP_TO_DATE → Consistent, CONSISTENT → Outdated, else Inconsistent. */
    public static DiskState diskStateFromFlags(MetaDataFlags md) {
        if (!md.consistent()) {
            return DiskState.INCONSISTENT;
        }
        return md.wasUpToDate() ? DiskState.CONSISTENT : DiskState.OUTDATED;
    }

    /**
     * Attaches a disk with meta-data flags {@code md} to a device in state {@code os}.
     *
     * @param os      the device's state before the attach (Diskless)
     * @param md      the superblock flags
     * @param fencing the resource's fencing policy
     */
    public static Outcome attach(ResourceState os, MetaDataFlags md, Fencing fencing) {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(md, "md");
        Objects.requireNonNull(fencing, "fencing");
        // A Primary frozen for lack of data that gets its disk back did not crash.
        boolean crashedPrimary = md.crashedPrimary()
                || (md.primaryInd() && !(os.role() == Role.PRIMARY && os.suspNod()));
        boolean setAllBits = md.fullSync() || (crashedPrimary && md.alDisabled());

        DiskState disk = diskStateFromFlags(md);
        DiskState pdsk = md.peerOutDated() ? DiskState.OUTDATED : os.pdsk();
        if (disk == DiskState.CONSISTENT && (pdsk == DiskState.OUTDATED || fencing == Fencing.DONT_CARE)) {
            disk = DiskState.UP_TO_DATE;
        }
        if (os.conn() == ConnectionState.CONNECTED) {
            // Connected already: decide after the peer's UUIDs arrive.
            return new Outcome(os.withDisk(DiskState.NEGOTIATING), disk, pdsk, crashedPrimary, setAllBits);
        }
        return new Outcome(os.withDisk(disk).withPdsk(pdsk), null, null, crashedPrimary, setAllBits);
    }
}
