package uk.e42.tandem.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.SyncProgress;
import uk.e42.tandem.admin.v1.VolumeStatus;

/** What readiness means for one resource, and the state every health check shows, in DRBD's words. */
public final class ResourceHealth {
    private static final List<String> NOT_ATTACHED = List.of("Diskless", "Attaching", "Failed", "Negotiating");
    private static final List<String> RECEIVING_RESYNC = List.of("SyncTarget", "PausedSyncT");

    private ResourceHealth() {
    }

    /**
     * Why the resource cannot serve now, or empty when it can. A Primary serves while it has access to
     * UpToDate data, its own or its connected peer's (DRBD's drbd_may_do_local_read: a Diskless or
     * SyncTarget Primary reads from the peer); a Secondary needs its own.
     */
    public static Optional<String> notReady(ResourceStatus status, boolean secondaryReadyWhenSyncing) {
        VolumeStatus volume = status.getVolumes(0);
        String disk = volume.getDisk();
        if (status.getRole().equals("Primary")) {
            return primaryNotReady(status, disk);
        }
        if (NOT_ATTACHED.contains(disk)) {
            return Optional.of("not attached (disk:" + disk + "); tandem attach " + status.getName());
        }
        if (disk.equals("UpToDate")) {
            return Optional.empty();
        }
        String replication = peerVolume(status).map(PeerVolumeStatus::getReplication).orElse("Off");
        if (RECEIVING_RESYNC.contains(replication)) {
            return secondaryReadyWhenSyncing ? Optional.empty()
                    : Optional.of("still receiving its resync (replication:" + replication + ", disk:" + disk
                            + "); set tandem.health.secondary-ready-when-syncing=true to count that as ready");
        }
        return Optional.of("no UpToDate data (disk:" + disk + ", replication:" + replication + ")");
    }

    private static Optional<String> primaryNotReady(ResourceStatus status, String disk) {
        if (disk.equals("UpToDate")) {
            return Optional.empty();
        }
        Optional<PeerVolumeStatus> peer = peerVolume(status);
        String replication = peer.map(PeerVolumeStatus::getReplication).orElse("Off");
        String peerDisk = peer.map(PeerVolumeStatus::getPeerDisk).orElse("DUnknown");
        if (!replication.equals("Off") && peerDisk.equals("UpToDate")) {
            return Optional.empty();
        }
        return Optional.of("Primary without access to UpToDate data (disk:" + disk + ", peer-disk:" + peerDisk
                + ", replication:" + replication + ")");
    }

    /** role, disk, peer-disk, connection, replication, sync %, out-of-sync bytes: as status shows them. */
    public static Map<String, Object> data(ResourceStatus status) {
        Map<String, Object> data = new LinkedHashMap<>();
        VolumeStatus volume = status.getVolumes(0);
        data.put("role", status.getRole());
        data.put("disk", volume.getDisk());
        Optional<PeerStatus> peer = status.getPeersList().stream().findFirst();
        Optional<PeerVolumeStatus> pv = peerVolume(status);
        data.put("peer-disk", pv.map(PeerVolumeStatus::getPeerDisk).orElse("DUnknown"));
        data.put("connection", peer.map(PeerStatus::getConnection).orElse("StandAlone"));
        data.put("replication", pv.map(PeerVolumeStatus::getReplication).orElse("Off"));
        pv.filter(PeerVolumeStatus::hasSync).ifPresent(p -> data.put("sync-percent", syncPercent(p.getSync())));
        data.put("out-of-sync-bytes", pv.map(p -> p.getOutOfSyncKib() * 1024).orElse(0L));
        return data;
    }

    /** As /proc/drbd's {@code sync'ed:}: done share of the bits marked at the start, one decimal. */
    static String syncPercent(SyncProgress sync) {
        long total = Math.max(1, sync.getTotalBits());
        long perMille = 1000 - Math.min(sync.getLeftBits(), total) * 1000 / total;
        return String.format(Locale.ROOT, "%d.%d", perMille / 10, perMille % 10);
    }

    private static Optional<PeerVolumeStatus> peerVolume(ResourceStatus status) {
        return status.getPeersList().stream().flatMap(p -> p.getVolumesList().stream()).findFirst();
    }
}
