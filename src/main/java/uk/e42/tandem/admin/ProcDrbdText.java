package uk.e42.tandem.admin;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import uk.e42.tandem.admin.v1.PeerCounters;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.SyncProgress;
import uk.e42.tandem.admin.v1.VolumeCounters;
import uk.e42.tandem.admin.v1.VolumeStatus;

/**
 * DRBD 8.4's {@code /proc/drbd}: one block per minor with the state line, the counters and, while
 * a resync or verify runs, the progress bar and the finish/speed/want line. Scripts that parse
 * /proc/drbd read this text, so every column follows drbd_proc.c's formats.
 */
public final class ProcDrbdText {
    /** The DRBD release and protocol range whose behaviour Tandem reproduces. */
    static final String VERSION_LINE = "version: 8.4.11 (api:1/proto:86-101)";

    private ProcDrbdText() {
    }

    /** /proc/drbd for these resources as they are now ({@code tandem proc} and GET /proc/drbd). */
    public static String of(List<uk.e42.tandem.device.Resource> resources) {
        return render(resources.stream().map(StatusBuilder::of).toList(), Versions.tandem());
    }

    public static String render(List<ResourceStatus> resources, String tandemVersion) {
        StringBuilder out = new StringBuilder(VERSION_LINE).append('\n')
                .append("srcversion: Tandem ").append(tandemVersion).append('\n');
        record Minor(ResourceStatus resource, VolumeStatus volume) {
        }
        List<Minor> minors = new ArrayList<>();
        resources.forEach(r -> r.getVolumesList().forEach(v -> minors.add(new Minor(r, v))));
        minors.sort(Comparator.comparingInt(m -> m.volume().getMinor()));
        int previous = -1;
        for (Minor minor : minors) {
            if (previous >= 0 && minor.volume().getMinor() != previous + 1) {
                out.append('\n');
            }
            previous = minor.volume().getMinor();
            device(out, minor.resource(), minor.volume());
        }
        return out.toString();
    }

    private static void device(StringBuilder out, ResourceStatus resource, VolumeStatus volume) {
        PeerStatus peer = resource.getPeersCount() == 0 ? null : resource.getPeers(0);
        PeerVolumeStatus pv = peer == null ? null : peer.getVolumesList().stream()
                .filter(p -> p.getVolume() == volume.getVolume()).findFirst().orElse(null);
        boolean connected = peer != null && "Connected".equals(peer.getConnection());
        String peerRole = connected ? peer.getRole() : "Unknown";
        String peerDisk = pv == null || pv.getPeerDisk().isEmpty() ? "DUnknown" : pv.getPeerDisk();
        String protocol = peer == null || peer.getProtocol().isEmpty() ? " " : peer.getProtocol();
        String suspended = pv == null ? "no" : pv.getResyncSuspended();
        out.append(String.format(Locale.ROOT, "%2d: cs:%s ro:%s/%s ds:%s/%s %s %c%c%c%c%c%c%n",
                volume.getMinor(), volume.getCstate(), resource.getRole(), peerRole, volume.getDisk(), peerDisk,
                protocol, "no".equals(resource.getSuspended()) ? 'r' : 's',
                suspended.contains("dependency") ? 'a' : '-', suspended.contains("peer") ? 'p' : '-',
                suspended.contains("user") ? 'u' : '-', '-', '-'));
        VolumeCounters vc = volume.getCounters();
        PeerCounters pc = pv == null ? PeerCounters.getDefaultInstance() : pv.getCounters();
        out.append(String.format(Locale.ROOT,
                "    ns:%d nr:%d dw:%d dr:%d al:%d bm:%d lo:%d pe:%d ua:%d ap:%d ep:%d wo:f oos:%d%n",
                pc.getSentKib(), pc.getReceivedKib(), vc.getWrittenKib(), vc.getReadKib(), vc.getAlWrites(),
                vc.getBmWrites(), vc.getLowerPending(), pc.getPending(), pc.getUnacked(), pc.getApplicationPending(),
                Math.max(1, pc.getEpochs()), pv == null ? 0 : pv.getOutOfSyncKib()));
        if (pv != null && pv.hasSync()) {
            progress(out, pv.getSync());
        }
    }

    /** The two progress lines; figures as drbd_proc.c computes them. */
    static void progress(StringBuilder out, SyncProgress sync) {
        long total = sync.getTotalBits();
        long left = sync.getLeftBits();
        int perMille = perMilleDone(left, total);
        int x = perMille / 50;
        out.append("\t[").append("=".repeat(Math.max(0, x - 1))).append('>').append(".".repeat(20 - x))
                .append("] ").append(sync.getVerify() ? "verified:" : "sync'ed:")
                .append(String.format(Locale.ROOT, "%3d.%d%% ", perMille / 10, perMille % 10));
        if (total > 1L << 20) {
            out.append('(').append((left >> 10) << 2).append('/').append((total >> 10) << 2).append(")M");
        } else {
            out.append('(').append(left << 2).append('/').append(total << 2).append(")K");
        }
        out.append("\n\t");
        long recent = sync.getRecentKibPerSec();
        long etaSeconds = recent == 0 ? 0 : (left << 2) / recent;
        out.append(String.format(Locale.ROOT, "finish: %d:%02d:%02d speed: %s (%s)", etaSeconds / 3600,
                etaSeconds / 60 % 60, etaSeconds % 60, grouped(recent), grouped(sync.getAverageKibPerSec())));
        if (sync.hasWantKibPerSec()) {
            out.append(" want: ").append(grouped(sync.getWantKibPerSec()));
        }
        out.append(" K/sec");
        if (sync.getStalled()) {
            out.append(" (stalled)");
        }
        out.append('\n');
    }

    /** Shifted as the kernel does so that huge bitmaps cannot overflow, +1 against division by 0. */
    static int perMilleDone(long left, long total) {
        if (left > total) {
            return 0;
        }
        int shift = total > 0xFFFFFFFFL ? 16 : 10;
        return (int) (1000 - (left >> shift) * 1000 / (1 + (total >> shift)));
    }

    /** Thousands grouped with commas, as DRBD prints rates ("39,064"). */
    static String grouped(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
