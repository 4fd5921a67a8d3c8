package uk.e42.tandem.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.SyncProgress;
import uk.e42.tandem.admin.v1.VolumeStatus;

class ResourceHealthTest {

    static ResourceStatus status(String role, String disk, String replication, String peerDisk) {
        return ResourceStatus.newBuilder().setName("r0").setRole(role)
                .addVolumes(VolumeStatus.newBuilder().setDisk(disk))
                .addPeers(PeerStatus.newBuilder().setConnection(replication.equals("Off") ? "Connecting" : "Connected")
                        .addVolumes(PeerVolumeStatus.newBuilder().setReplication(replication).setPeerDisk(peerDisk)
                                .setOutOfSyncKib(12)))
                .build();
    }

    @Test
    void diskStatesBelowInconsistentAreNotAttachedOnASecondary() {
        for (String disk : new String[] {"Diskless", "Attaching", "Failed", "Negotiating"}) {
            Optional<String> why = ResourceHealth.notReady(status("Secondary", disk, "Off", "DUnknown"), true);
            assertEquals(Optional.of("not attached (disk:" + disk + "); tandem attach r0"), why);
        }
    }

    @Test
    void upToDateIsReadyInEitherRole() {
        assertEquals(Optional.empty(), ResourceHealth.notReady(status("Primary", "UpToDate", "Off", "DUnknown"), false));
        assertEquals(Optional.empty(),
                ResourceHealth.notReady(status("Secondary", "UpToDate", "Established", "UpToDate"), false));
    }

    @Test
    void aPrimaryServedByItsUpToDatePeerIsReady() {
        assertEquals(Optional.empty(),
                ResourceHealth.notReady(status("Primary", "Diskless", "Established", "UpToDate"), false));
        assertEquals(Optional.empty(),
                ResourceHealth.notReady(status("Primary", "Inconsistent", "SyncTarget", "UpToDate"), false));
    }

    @Test
    void aPrimaryWithoutAnyUpToDateDataIsNotReady() {
        assertEquals(Optional.of("Primary without access to UpToDate data (disk:Diskless, peer-disk:DUnknown, "
                + "replication:Off)"), ResourceHealth.notReady(status("Primary", "Diskless", "Off", "DUnknown"), true));
        assertEquals(Optional.of("Primary without access to UpToDate data (disk:Inconsistent, peer-disk:Inconsistent, "
                + "replication:Established)"),
                ResourceHealth.notReady(status("Primary", "Inconsistent", "Established", "Inconsistent"), true));
        ResourceStatus alone = ResourceStatus.newBuilder().setName("r0").setRole("Primary")
                .addVolumes(VolumeStatus.newBuilder().setDisk("Outdated")).build();
        assertEquals(Optional.of("Primary without access to UpToDate data (disk:Outdated, peer-disk:DUnknown, "
                + "replication:Off)"), ResourceHealth.notReady(alone, true));
    }

    @Test
    void syncTargetSecondaryIsReadyOnlyWhenTheSettingSaysSo() {
        for (String replication : new String[] {"SyncTarget", "PausedSyncT"}) {
            ResourceStatus syncing = status("Secondary", "Inconsistent", replication, "UpToDate");
            assertEquals(Optional.empty(), ResourceHealth.notReady(syncing, true));
            String why = ResourceHealth.notReady(syncing, false).orElseThrow();
            assertTrue(why.contains("replication:" + replication), why);
            assertTrue(why.contains("tandem.health.secondary-ready-when-syncing=true"), why);
        }
    }

    @Test
    void inconsistentSecondaryWithoutResyncIsNotReadyWhateverTheSetting() {
        assertEquals(Optional.of("no UpToDate data (disk:Inconsistent, replication:Off)"),
                ResourceHealth.notReady(status("Secondary", "Inconsistent", "Off", "DUnknown"), true));
        assertFalse(ResourceHealth.notReady(status("Secondary", "Outdated", "Established", "UpToDate"), true)
                .isEmpty());
    }

    @Test
    void dataCarriesTheStateAsStatusShowsIt() {
        ResourceStatus s = status("Secondary", "Inconsistent", "SyncTarget", "UpToDate").toBuilder()
                .setPeers(0, PeerStatus.newBuilder().setConnection("Connected").addVolumes(PeerVolumeStatus
                        .newBuilder().setReplication("SyncTarget").setPeerDisk("UpToDate").setOutOfSyncKib(3072)
                        .setSync(SyncProgress.newBuilder().setTotalBits(1000).setLeftBits(768))))
                .build();
        assertEquals(Map.of("role", "Secondary", "disk", "Inconsistent", "peer-disk", "UpToDate", "connection",
                "Connected", "replication", "SyncTarget", "sync-percent", "23.2", "out-of-sync-bytes", 3072L * 1024),
                ResourceHealth.data(s));
    }

    @Test
    void withoutPeerTheDataSaysStandAlone() {
        ResourceStatus alone = ResourceStatus.newBuilder().setName("r0").setRole("Secondary")
                .addVolumes(VolumeStatus.newBuilder().setDisk("UpToDate")).build();
        Map<String, Object> data = ResourceHealth.data(alone);
        assertEquals("StandAlone", data.get("connection"));
        assertEquals("DUnknown", data.get("peer-disk"));
        assertEquals(0L, data.get("out-of-sync-bytes"));
        assertFalse(data.containsKey("sync-percent"));
    }

    @Test
    void syncPercentCountsDoneBitsInTenths() {
        assertEquals("0.0", ResourceHealth.syncPercent(SyncProgress.newBuilder().setTotalBits(8).setLeftBits(8)
                .build()));
        assertEquals("100.0", ResourceHealth.syncPercent(SyncProgress.newBuilder().setTotalBits(8).build()));
        assertEquals("50.0", ResourceHealth.syncPercent(SyncProgress.newBuilder().setTotalBits(8).setLeftBits(4)
                .build()));
    }
}
