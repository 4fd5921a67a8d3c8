package uk.e42.tandem.state;

import java.util.function.BooleanSupplier;

/**
 * Where the Primary reads a range from (DRBD 8.4's {@code drbd_may_do_local_read} and the remote
 * read of {@code drbd_request_prepare}): the local disk when it is UpToDate, or Inconsistent with the
 * range in sync; otherwise the peer when it has UpToDate data; otherwise nowhere, with DRBD's words.
 * A Secondary serves no reads (its device cannot be opened in DRBD).
 */
public final class ReadSource {

    private ReadSource() {
    }

    public enum Where { LOCAL, PEER, REFUSED }

    /**
     * @param where        where to read
     * @param peerFallback for LOCAL: whether a failed local read may be retried on the peer
     * @param refusal      for REFUSED: the error the client's request ends with
     */
    public record Decision(Where where, boolean peerFallback, String refusal) {
        static Decision local(boolean peerFallback) {
            return new Decision(Where.LOCAL, peerFallback, null);
        }

        static final Decision PEER = new Decision(Where.PEER, false, null);

        static Decision refused(String why) {
            return new Decision(Where.REFUSED, false, why);
        }
    }

    /**
     * @param s            the resource's state
     * @param peerLinked   whether a replication session with the peer exists
     * @param rangeInSync  whether the local bitmap has no bit set for the range (asked only when needed)
     * @param resource     the resource's name, for messages
     * @param node         this node's name, for messages
     * @param offset       the range's first byte
     * @param length       the range's length in bytes
     */
    public static Decision decide(ResourceState s, boolean peerLinked, BooleanSupplier rangeInSync, String resource,
            String node, long offset, long length) {
        if (s.role() != Role.PRIMARY) {
            return Decision.refused("resource " + resource + " is " + s.role().drbdName() + " on " + node
                    + "; only the Primary serves reads");
        }
        boolean peerHasData = peerLinked && s.conn().isAtLeast(ConnectionState.CONNECTED)
                && s.pdsk() == DiskState.UP_TO_DATE;
        if (s.disk() == DiskState.UP_TO_DATE) {
            return Decision.local(peerHasData);
        }
        // The bitmap tells what an Inconsistent disk holds only once the peer's bits are merged into it.
        boolean bitmapComplete = s.conn() != ConnectionState.WF_BIT_MAP_T && s.conn() != ConnectionState.WF_SYNC_UUID;
        if (s.disk() == DiskState.INCONSISTENT && bitmapComplete && rangeInSync.getAsBoolean()) {
            return Decision.local(peerHasData);
        }
        if (peerHasData) {
            return Decision.PEER;
        }
        return Decision.refused(resource + ": IO ERROR: neither local nor remote data, sector " + (offset >>> 9) + "+"
                + length + " (disk:" + s.disk().drbdName() + " peer-disk:" + s.pdsk().drbdName() + " connection:"
                + s.conn().drbdName() + ")");
    }
}
