package uk.e42.tandem.admin;

import java.util.List;
import java.util.Locale;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.VolumeStatus;

/**
 * {@code drbdadm status} as DRBD 8.4's front end prints it (the seed's output): the connection is
 * named {@code peer}, {@code replication:Established} is shown, optional items appear only when
 * they carry news or with {@code --verbose}, and long lines wrap at 80 columns.
 */
public final class StatusText {
    static final int WIDTH = 80;

    private StatusText() {
    }

    public static String render(List<ResourceStatus> resources, boolean verbose, boolean statistics) {
        StringBuilder out = new StringBuilder();
        for (ResourceStatus resource : resources) {
            render(out, resource, verbose, statistics);
        }
        return out.toString();
    }

    private static void render(StringBuilder out, ResourceStatus resource, boolean verbose, boolean statistics) {
        Line line = new Line(out, 0).item(resource.getName()).item("role:" + resource.getRole());
        if (verbose || !"no".equals(resource.getSuspended())) {
            line.item("suspended:" + resource.getSuspended());
        }
        line.end();
        boolean showVolume = verbose || resource.getVolumesCount() > 1;
        for (VolumeStatus volume : resource.getVolumesList()) {
            line = new Line(out, 2);
            if (showVolume) {
                line.item("volume:" + volume.getVolume());
            }
            if (verbose) {
                line.item("minor:" + volume.getMinor());
            }
            line.item("disk:" + volume.getDisk());
            if (statistics) {
                var c = volume.getCounters();
                line.item("size:" + volume.getSizeBytes() / 1024).item("read:" + c.getReadKib())
                        .item("written:" + c.getWrittenKib()).item("al-writes:" + c.getAlWrites())
                        .item("bm-writes:" + c.getBmWrites()).item("upper-pending:" + c.getUpperPending())
                        .item("lower-pending:" + c.getLowerPending());
            }
            line.end();
        }
        for (PeerStatus peer : resource.getPeersList()) {
            boolean established = "Connected".equals(peer.getConnection());
            line = new Line(out, 2).item(peer.getName());
            if (verbose || !established) {
                line.item("connection:" + peer.getConnection());
            }
            if (verbose || established) {
                line.item("role:" + peer.getRole());
            }
            line.end();
            if (!established) {
                continue;
            }
            for (PeerVolumeStatus pv : peer.getVolumesList()) {
                line = new Line(out, 4);
                if (showVolume) {
                    line.item("volume:" + pv.getVolume());
                }
                if (verbose || !"Off".equals(pv.getReplication())) {
                    line.item("replication:" + pv.getReplication());
                }
                line.item("peer-disk:" + pv.getPeerDisk());
                if (pv.hasSync()) {
                    line.item("done:" + String.format(Locale.ROOT, "%.2f", donePercent(resource, pv)));
                }
                if (verbose || !"no".equals(pv.getResyncSuspended())) {
                    line.item("resync-suspended:" + pv.getResyncSuspended());
                }
                if (statistics) {
                    var c = pv.getCounters();
                    line.item("received:" + c.getReceivedKib()).item("sent:" + c.getSentKib())
                            .item("out-of-sync:" + pv.getOutOfSyncKib()).item("pending:" + c.getPending())
                            .item("unacked:" + c.getUnacked());
                }
                line.end();
            }
        }
        out.append('\n');
    }

    /** DRBD: 100 x (1 - out-of-sync / device size). */
    static double donePercent(ResourceStatus resource, PeerVolumeStatus pv) {
        long sizeKib = resource.getVolumesList().stream().filter(v -> v.getVolume() == pv.getVolume())
                .mapToLong(v -> v.getSizeBytes() / 1024).findFirst().orElse(0);
        if (sizeKib == 0) {
            return 0;
        }
        return 100.0 * (1.0 - (double) pv.getOutOfSyncKib() / sizeKib);
    }

    /** DRBD's wrap printer: items separated by a space, a new indented line when one would pass 80. */
    private static final class Line {
        private final StringBuilder out;
        private final int indent;
        private int column;
        private boolean first = true;

        Line(StringBuilder out, int indent) {
            this.out = out;
            this.indent = indent;
            out.append(" ".repeat(indent));
            column = indent;
        }

        Line item(String text) {
            if (first) {
                first = false;
            } else if (column + 1 + text.length() > WIDTH) {
                out.append('\n').append(" ".repeat(indent + 2));
                column = indent + 2;
            } else {
                out.append(' ');
                column++;
            }
            out.append(text);
            column += text.length();
            return this;
        }

        void end() {
            out.append('\n');
        }
    }
}
