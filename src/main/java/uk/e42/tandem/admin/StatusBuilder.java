package uk.e42.tandem.admin;

import java.util.ArrayList;
import java.util.List;
import uk.e42.tandem.admin.v1.PeerCounters;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.SyncProgress;
import uk.e42.tandem.admin.v1.VolumeCounters;
import uk.e42.tandem.admin.v1.VolumeStatus;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.device.ResourceSnapshot;
import uk.e42.tandem.state.ConnectionState;
import uk.e42.tandem.state.ResourceState;

/** A resource's state as the admin API carries it; every status format renders from this. */
public final class StatusBuilder {
    private StatusBuilder() {
    }

    public static ResourceStatus of(Resource resource) {
        ResourceSnapshot snap = resource.snapshot();
        ResourceState s = snap.state();
        String suspended = s.isSuspended() ? String.join(",", suspendReasons(s)) : "no";
        VolumeStatus volume = VolumeStatus.newBuilder().setVolume(resource.volumeConfig().number())
                .setMinor(resource.volumeConfig().minor()).setDisk(s.disk().drbdName()).setSizeBytes(snap.sizeBytes())
                .setCstate(s.conn().drbdName())
                .setCounters(VolumeCounters.newBuilder().setReadKib(snap.readKib()).setWrittenKib(snap.writtenKib())
                        .setAlWrites(snap.alWrites()).setBmWrites(snap.bmWrites())
                        .setUpperPending(snap.upperPending()))
                .build();
        ResourceStatus.Builder status = ResourceStatus.newBuilder().setName(resource.name())
                .setRole(s.role().drbdName()).setSuspended(suspended).addVolumes(volume);
        if (resource.config().peer().isPresent()) {
            boolean connected = s.conn().isAtLeast(ConnectionState.CONNECTED);
            PeerVolumeStatus.Builder pv = PeerVolumeStatus.newBuilder().setVolume(resource.volumeConfig().number())
                    .setReplication(s.conn().replication().drbdName()).setPeerDisk(s.pdsk().drbdName())
                    .setResyncSuspended(resyncSuspended(s)).setOutOfSyncKib(snap.outOfSyncBits() * 4)
                    .setCounters(PeerCounters.newBuilder().setSentKib(snap.sentKib())
                            .setReceivedKib(snap.receivedKib()).setPending(snap.pending()).setUnacked(snap.unacked())
                            .setApplicationPending(snap.upperPending()).setEpochs(snap.epochs()));
            snap.sync().ifPresent(sync -> {
                SyncProgress.Builder progress = SyncProgress.newBuilder().setTotalBits(sync.totalBits())
                        .setLeftBits(sync.leftBits()).setRecentKibPerSec(sync.recentKibPerSec())
                        .setAverageKibPerSec(sync.averageKibPerSec()).setStalled(sync.stalled())
                        .setVerify(s.conn() == ConnectionState.VERIFY_S || s.conn() == ConnectionState.VERIFY_T);
                sync.wantKibPerSec().ifPresent(progress::setWantKibPerSec);
                pv.setSync(progress);
            });
            status.addPeers(PeerStatus.newBuilder().setName("peer").setConnection(s.conn().connection().drbdName())
                    .setRole(connected ? s.peer().drbdName() : "Unknown")
                    .setProtocol(String.valueOf(resource.config().net().protocol())).addVolumes(pv));
        }
        return status.build();
    }

    private static List<String> suspendReasons(ResourceState s) {
        List<String> reasons = new ArrayList<>();
        if (s.susp()) {
            reasons.add("user");
        }
        if (s.suspNod()) {
            reasons.add("no-data");
        }
        if (s.suspFen()) {
            reasons.add("fencing");
        }
        return reasons;
    }

    private static String resyncSuspended(ResourceState s) {
        List<String> reasons = new ArrayList<>();
        if (s.userIsp()) {
            reasons.add("user");
        }
        if (s.peerIsp()) {
            reasons.add("peer");
        }
        if (s.aftrIsp()) {
            reasons.add("dependency");
        }
        return reasons.isEmpty() ? "no" : String.join(",", reasons);
    }
}
