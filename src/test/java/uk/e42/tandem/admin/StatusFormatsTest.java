package uk.e42.tandem.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.admin.v1.PeerCounters;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.SyncProgress;
import uk.e42.tandem.admin.v1.VolumeCounters;
import uk.e42.tandem.admin.v1.VolumeStatus;

/** Golden texts: the states the seed shows, rendered as drbdadm status, /proc/drbd and events2. */
class StatusFormatsTest {
    private static final long GIB64 = 64L << 30;

    static ResourceStatus seed(String role, String disk, String cstate, String connection, String peerRole,
            String replication, String peerDisk, long oosKib, SyncProgress sync) {
        PeerVolumeStatus.Builder pv = PeerVolumeStatus.newBuilder().setVolume(0).setReplication(replication)
                .setPeerDisk(peerDisk).setResyncSuspended("no").setOutOfSyncKib(oosKib);
        if (sync != null) {
            pv.setSync(sync);
        }
        return ResourceStatus.newBuilder().setName("replicated0").setRole(role).setSuspended("no")
                .addVolumes(VolumeStatus.newBuilder().setVolume(0).setMinor(0).setDisk(disk).setSizeBytes(GIB64)
                        .setCstate(cstate))
                .addPeers(PeerStatus.newBuilder().setName("peer").setConnection(connection).setRole(peerRole)
                        .setProtocol("A").addVolumes(pv))
                .build();
    }

    @Test
    void freshPairBothSecondaryInconsistent() {
        ResourceStatus r = seed("Secondary", "Inconsistent", "Connected", "Connected", "Secondary", "Established",
                "Inconsistent", 0, null);
        assertEquals("""
                replicated0 role:Secondary
                  disk:Inconsistent
                  peer role:Secondary
                    replication:Established peer-disk:Inconsistent

                """, StatusText.render(List.of(r), false, false));
    }

    @Test
    void syncSourceShowsDone() {
        long oos = (long) ((GIB64 / 1024) * (1 - 0.0002));
        ResourceStatus r = seed("Primary", "UpToDate", "SyncSource", "Connected", "Secondary", "SyncSource",
                "Inconsistent", oos, SyncProgress.getDefaultInstance());
        assertEquals("""
                replicated0 role:Primary
                  disk:UpToDate
                  peer role:Secondary
                    replication:SyncSource peer-disk:Inconsistent done:0.02

                """, StatusText.render(List.of(r), false, false));
    }

    @Test
    void syncTargetShowsDone() {
        long oos = (long) ((GIB64 / 1024) * (1 - 0.0019));
        ResourceStatus r = seed("Secondary", "Inconsistent", "SyncTarget", "Connected", "Primary", "SyncTarget",
                "UpToDate", oos, SyncProgress.getDefaultInstance());
        assertEquals("""
                replicated0 role:Secondary
                  disk:Inconsistent
                  peer role:Primary
                    replication:SyncTarget peer-disk:UpToDate done:0.19

                """, StatusText.render(List.of(r), false, false));
    }

    @Test
    void establishedBothUpToDate() {
        ResourceStatus r = seed("Primary", "UpToDate", "Connected", "Connected", "Secondary", "Established",
                "UpToDate", 0, null);
        assertEquals("""
                replicated0 role:Primary
                  disk:UpToDate
                  peer role:Secondary
                    replication:Established peer-disk:UpToDate

                """, StatusText.render(List.of(r), false, false));
    }

    @Test
    void standAloneAfterSplitBrainHasNoPeerDeviceLine() {
        ResourceStatus r = seed("Primary", "UpToDate", "StandAlone", "StandAlone", "Unknown", "Off", "DUnknown", 0,
                null);
        assertEquals("""
                replicated0 role:Primary
                  disk:UpToDate
                  peer connection:StandAlone

                """, StatusText.render(List.of(r), false, false));
    }

    @Test
    void connectingIsWhatTheSeedWarnsAbout() {
        ResourceStatus r = seed("Secondary", "Inconsistent", "WFConnection", "Connecting", "Unknown", "Off",
                "DUnknown", 0, null);
        assertEquals("""
                replicated0 role:Secondary
                  disk:Inconsistent
                  peer connection:Connecting

                """, StatusText.render(List.of(r), false, false));
    }

    @Test
    void verboseShowsEveryOptionalItem() {
        ResourceStatus r = seed("Primary", "UpToDate", "Connected", "Connected", "Secondary", "Established",
                "UpToDate", 0, null);
        assertEquals("""
                replicated0 role:Primary suspended:no
                  volume:0 minor:0 disk:UpToDate
                  peer connection:Connected role:Secondary
                    volume:0 replication:Established peer-disk:UpToDate resync-suspended:no

                """, StatusText.render(List.of(r), true, false));
    }

    @Test
    void statisticsWrapAtEightyColumns() {
        ResourceStatus base = seed("Primary", "UpToDate", "Connected", "Connected", "Secondary", "Established",
                "UpToDate", 0, null);
        ResourceStatus r = base.toBuilder()
                .setVolumes(0, base.getVolumes(0).toBuilder().setCounters(VolumeCounters.newBuilder()
                        .setReadKib(1234).setWrittenKib(5678).setAlWrites(9).setBmWrites(2)))
                .setPeers(0, base.getPeers(0).toBuilder().setVolumes(0, base.getPeers(0).getVolumes(0).toBuilder()
                        .setCounters(PeerCounters.newBuilder().setSentKib(5678).setReceivedKib(0))))
                .build();
        assertEquals("""
                replicated0 role:Primary
                  disk:UpToDate size:67108864 read:1234 written:5678 al-writes:9 bm-writes:2
                    upper-pending:0 lower-pending:0
                  peer role:Secondary
                    replication:Established peer-disk:UpToDate received:0 sent:5678
                      out-of-sync:0 pending:0 unacked:0

                """, StatusText.render(List.of(r), false, true));
    }

    @Test
    void procDrbdWhileSyncingAsTheSeedShowsIt() {
        long total = GIB64 / 4096;
        long left = 56780L * 256;
        SyncProgress sync = SyncProgress.newBuilder().setTotalBits(total).setLeftBits(left)
                .setRecentKibPerSec(39064).setAverageKibPerSec(33568).setWantKibPerSec(41000).build();
        ResourceStatus r = seed("Secondary", "Inconsistent", "SyncTarget", "Connected", "Primary", "SyncTarget",
                "UpToDate", 58145792, sync);
        assertEquals("""
                version: 8.4.11 (api:1/proto:86-101)
                srcversion: Tandem test
                 0: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate A r-----
                    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:58145792
                \t[=>..................] sync'ed: 13.4% (56780/65536)M
                \tfinish: 0:24:48 speed: 39,064 (33,568) want: 41,000 K/sec
                """, ProcDrbdText.render(List.of(r), "test"));
    }

    @Test
    void procDrbdSmallVolumeCountsInKibAndDisconnectedPeerIsUnknown() {
        SyncProgress sync = SyncProgress.newBuilder().setTotalBits(65536).setLeftBits(0).setRecentKibPerSec(1500)
                .setAverageKibPerSec(1200).build();
        ResourceStatus r = seed("Primary", "UpToDate", "SyncSource", "Connected", "Secondary", "SyncSource",
                "Inconsistent", 0, sync);
        assertEquals("\t[===================>] sync'ed:100.0% (0/262144)K\n\tfinish: 0:00:00 speed: 1,500 (1,200) K/sec\n",
                ProcDrbdText.render(List.of(r), "t").lines().skip(4).map(l -> l + "\n").reduce("", String::concat));
        ResourceStatus away = seed("Primary", "UpToDate", "WFConnection", "Connecting", "Unknown", "Off", "", 0,
                null);
        assertEquals(" 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown A r-----",
                ProcDrbdText.render(List.of(away), "t").lines().skip(2).findFirst().orElseThrow());
    }

    @Test
    void perMilleMatchesTheKernelArithmetic() {
        assertEquals(1000, ProcDrbdText.perMilleDone(0, 0));
        assertEquals(0, ProcDrbdText.perMilleDone(11, 10));
        assertEquals(134, ProcDrbdText.perMilleDone(56780L * 256, 16777216));
        assertEquals(500, ProcDrbdText.perMilleDone(1L << 40, (1L << 41) - 1));
    }

    @Test
    void events2InitialDumpAndChanges() {
        ResourceStatus connected = seed("Primary", "UpToDate", "Connected", "Connected", "Secondary",
                "Established", "UpToDate", 0, null);
        assertEquals(List.of(
                "exists resource name:replicated0 role:Primary suspended:no",
                "exists connection name:replicated0 peer-node-id:0 conn-name:peer connection:Connected role:Secondary",
                "exists device name:replicated0 volume:0 minor:0 disk:UpToDate",
                "exists peer-device name:replicated0 peer-node-id:0 conn-name:peer volume:0 replication:Established"
                        + " peer-disk:UpToDate resync-suspended:no",
                "exists -"), Events2Text.exists(List.of(connected), false));
        ResourceStatus syncing = seed("Primary", "UpToDate", "SyncSource", "Connected", "Secondary", "SyncSource",
                "Inconsistent", 10, SyncProgress.getDefaultInstance());
        assertEquals(List.of("change peer-device name:replicated0 peer-node-id:0 conn-name:peer volume:0"
                + " replication:SyncSource peer-disk:Inconsistent"), Events2Text.changes(connected, syncing, false));
        assertEquals(List.of(), Events2Text.changes(connected, connected, false));
    }

    @Test
    void events2WithStatisticsCarriesTheSizeAndAResizeShowsAsAChangeOfIt() {
        ResourceStatus connected = seed("Primary", "UpToDate", "Connected", "Connected", "Secondary",
                "Established", "UpToDate", 0, null);
        List<String> dump = Events2Text.exists(List.of(connected), true);
        assertEquals("exists device name:replicated0 volume:0 minor:0 disk:UpToDate size:67108864 read:0 written:0"
                + " al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0", dump.get(2));
        assertEquals("exists peer-device name:replicated0 peer-node-id:0 conn-name:peer volume:0"
                + " replication:Established peer-disk:UpToDate resync-suspended:no received:0 sent:0 out-of-sync:0"
                + " pending:0 unacked:0", dump.get(3));
        ResourceStatus grown = connected.toBuilder().setVolumes(0, connected.getVolumes(0).toBuilder()
                .setSizeBytes(2 * GIB64)).build();
        assertEquals(List.of("change device name:replicated0 volume:0 minor:0 size:134217728"),
                Events2Text.changes(connected, grown, true));
        assertEquals(List.of(), Events2Text.changes(connected, grown, false), "without --statistics no size");
    }
}
