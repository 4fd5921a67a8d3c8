package uk.e42.tandem.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.VolumeStatus;

/**
 * {@code drbdsetup events2} lines for 8.4-style resources: {@code exists} lines for the initial
 * dump (resource, connection, devices, peer devices, then {@code exists -}) and {@code change}
 * lines carrying only what changed, so tools that parse events2 keep working. With {@code --statistics}
 * devices and peer devices carry the counters of {@code status --statistics} as well, in the same units
 * (KiB), among them the device's {@code size:}, which a {@code change} line shows after a resize.
 */
public final class Events2Text {
    private Events2Text() {
    }

    /** The initial dump of {@code events2 --now}, ending with {@code exists -}. */
    public static List<String> exists(List<ResourceStatus> resources, boolean statistics) {
        List<String> lines = new ArrayList<>();
        for (ResourceStatus resource : resources) {
            lines.addAll(lines("exists", null, resource, statistics));
        }
        lines.add("exists -");
        return lines;
    }

    /** The change lines that lead from {@code before} to {@code after} (same resource). */
    public static List<String> changes(ResourceStatus before, ResourceStatus after, boolean statistics) {
        return lines("change", before, after, statistics);
    }

    private static List<String> lines(String action, ResourceStatus before, ResourceStatus after,
            boolean statistics) {
        List<String> lines = new ArrayList<>();
        String name = "name:" + after.getName();
        emit(lines, action, "resource " + name, fields(after), before == null ? null : fields(before));
        for (PeerStatus peer : after.getPeersList()) {
            PeerStatus old = before == null ? null : peer(before, peer.getName());
            String key = "connection " + name + " peer-node-id:0 conn-name:" + peer.getName();
            emit(lines, action, key, fields(peer), old == null ? null : fields(old));
        }
        for (VolumeStatus volume : after.getVolumesList()) {
            VolumeStatus old = before == null ? null : volume(before, volume.getVolume());
            String key = "device " + name + " volume:" + volume.getVolume() + " minor:" + volume.getMinor();
            emit(lines, action, key, fields(volume, statistics), old == null ? null : fields(old, statistics));
        }
        for (PeerStatus peer : after.getPeersList()) {
            for (PeerVolumeStatus pv : peer.getVolumesList()) {
                PeerStatus oldPeer = before == null ? null : peer(before, peer.getName());
                PeerVolumeStatus old = oldPeer == null ? null : peerVolume(oldPeer, pv.getVolume());
                String key = "peer-device " + name + " peer-node-id:0 conn-name:" + peer.getName() + " volume:"
                        + pv.getVolume();
                emit(lines, action, key, fields(pv, statistics), old == null ? null : fields(old, statistics));
            }
        }
        return lines;
    }

    private static void emit(List<String> lines, String action, String key, Map<String, String> now,
            Map<String, String> was) {
        StringBuilder line = new StringBuilder(was == null ? (action.equals("change") ? "create" : action) : action)
                .append(' ').append(key);
        boolean changed = false;
        for (Map.Entry<String, String> field : now.entrySet()) {
            if (was == null || !Objects.equals(was.get(field.getKey()), field.getValue())) {
                line.append(' ').append(field.getKey()).append(':').append(field.getValue());
                changed = true;
            }
        }
        if (was == null || changed) {
            lines.add(line.toString());
        }
    }

    private static Map<String, String> fields(ResourceStatus r) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("role", r.getRole());
        f.put("suspended", r.getSuspended());
        return f;
    }

    private static Map<String, String> fields(PeerStatus p) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("connection", p.getConnection());
        f.put("role", p.getRole());
        return f;
    }

    private static Map<String, String> fields(VolumeStatus v, boolean statistics) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("disk", v.getDisk());
        if (statistics) {
            var c = v.getCounters();
            f.put("size", Long.toString(v.getSizeBytes() / 1024));
            f.put("read", Long.toString(c.getReadKib()));
            f.put("written", Long.toString(c.getWrittenKib()));
            f.put("al-writes", Long.toString(c.getAlWrites()));
            f.put("bm-writes", Long.toString(c.getBmWrites()));
            f.put("upper-pending", Long.toString(c.getUpperPending()));
            f.put("lower-pending", Long.toString(c.getLowerPending()));
        }
        return f;
    }

    private static Map<String, String> fields(PeerVolumeStatus pv, boolean statistics) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("replication", pv.getReplication());
        f.put("peer-disk", pv.getPeerDisk());
        f.put("resync-suspended", pv.getResyncSuspended());
        if (statistics) {
            var c = pv.getCounters();
            f.put("received", Long.toString(c.getReceivedKib()));
            f.put("sent", Long.toString(c.getSentKib()));
            f.put("out-of-sync", Long.toString(pv.getOutOfSyncKib()));
            f.put("pending", Long.toString(c.getPending()));
            f.put("unacked", Long.toString(c.getUnacked()));
        }
        return f;
    }

    private static PeerStatus peer(ResourceStatus r, String name) {
        return r.getPeersList().stream().filter(p -> p.getName().equals(name)).findFirst().orElse(null);
    }

    private static VolumeStatus volume(ResourceStatus r, int volume) {
        return r.getVolumesList().stream().filter(v -> v.getVolume() == volume).findFirst().orElse(null);
    }

    private static PeerVolumeStatus peerVolume(PeerStatus p, int volume) {
        return p.getVolumesList().stream().filter(v -> v.getVolume() == volume).findFirst().orElse(null);
    }
}
