package uk.e42.tandem.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A state change from {@code os} to {@code ns}, rendered the way DRBD logs it
 * ({@code drbd_pr_state_change}): {@code role( Secondary -> Primary ) conn( WFReportParams -> Connected )
 * pdsk( DUnknown -> UpToDate )}. Only changed fields appear, in DRBD's order.
 */
public record StateChange(ResourceState os, ResourceState ns) {

    public StateChange {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(ns, "ns");
    }

    public boolean isEmpty() {
        return os.equals(ns);
    }

    /**
     * The changed fields as DRBD's log line: role, peer, conn, disk, pdsk, then the pause flags
     * ({@code aftr_isp( 0 -> 1 )}), then {@code susp( 0 -> 1 )} (DRBD logs that one on a separate
     * connection-level line; here it ends the same line). Empty when nothing changed.
     */
    public String render() {
        List<String> parts = new ArrayList<>();
        change(parts, "role", os.role(), ns.role());
        change(parts, "peer", os.peer(), ns.peer());
        change(parts, "conn", os.conn(), ns.conn());
        change(parts, "disk", os.disk(), ns.disk());
        change(parts, "pdsk", os.pdsk(), ns.pdsk());
        flag(parts, "aftr_isp", os.aftrIsp(), ns.aftrIsp());
        flag(parts, "peer_isp", os.peerIsp(), ns.peerIsp());
        flag(parts, "user_isp", os.userIsp(), ns.userIsp());
        flag(parts, "susp", os.isSuspended(), ns.isSuspended());
        return String.join(" ", parts);
    }

    @Override
    public String toString() {
        return render();
    }

    private static void change(List<String> parts, String name, Object from, Object to) {
        if (!from.equals(to)) {
            parts.add(name + "( " + from + " -> " + to + " )");
        }
    }

    private static void flag(List<String> parts, String name, boolean from, boolean to) {
        if (from != to) {
            parts.add(name + "( " + (from ? 1 : 0) + " -> " + (to ? 1 : 0) + " )");
        }
    }
}
