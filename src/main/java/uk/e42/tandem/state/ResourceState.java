package uk.e42.tandem.state;

import java.util.Objects;

/**
 * One device's state as DRBD 8.4 keeps it ({@code union drbd_state}): own role, peer role, connection
 * state, own disk, peer disk, the three I/O suspension flags and the three resync-pause flags
 * ("isp" = imposed sync pause). Immutable; every change yields a new snapshot.
 *
 * @param role    own role
 * @param peer    the peer's role (Unknown while not connected)
 * @param conn    8.4 connection state
 * @param disk    own disk state
 * @param pdsk    the peer's disk state (DUnknown while not connected)
 * @param susp    I/O suspended by the admin ({@code suspend-io})
 * @param suspNod I/O suspended because no data is accessible ({@code on-no-data-accessible suspend-io})
 * @param suspFen I/O suspended while the fence-peer handler runs
 * @param aftrIsp resync paused because of a {@code resync-after} dependency
 * @param peerIsp resync paused by the peer
 * @param userIsp resync paused by the admin ({@code pause-sync})
 */
public record ResourceState(Role role, Role peer, ConnectionState conn, DiskState disk, DiskState pdsk,
                            boolean susp, boolean suspNod, boolean suspFen,
                            boolean aftrIsp, boolean peerIsp, boolean userIsp) {

    /** A freshly created device: Secondary, StandAlone, Diskless, peer unknown (DRBD's {@code drbd_create_device}). */
    public static final ResourceState INITIAL = new ResourceState(Role.SECONDARY, Role.UNKNOWN,
            ConnectionState.STAND_ALONE, DiskState.DISKLESS, DiskState.DUNKNOWN,
            false, false, false, false, false, false);

    public ResourceState {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(conn, "conn");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(pdsk, "pdsk");
    }

    /** The usual five fields, all flags clear. */
    public static ResourceState of(Role role, Role peer, ConnectionState conn, DiskState disk, DiskState pdsk) {
        return new ResourceState(role, peer, conn, disk, pdsk, false, false, false, false, false, false);
    }

    public ResourceState withRole(Role v) {
        return new ResourceState(v, peer, conn, disk, pdsk, susp, suspNod, suspFen, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withPeer(Role v) {
        return new ResourceState(role, v, conn, disk, pdsk, susp, suspNod, suspFen, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withConn(ConnectionState v) {
        return new ResourceState(role, peer, v, disk, pdsk, susp, suspNod, suspFen, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withDisk(DiskState v) {
        return new ResourceState(role, peer, conn, v, pdsk, susp, suspNod, suspFen, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withPdsk(DiskState v) {
        return new ResourceState(role, peer, conn, disk, v, susp, suspNod, suspFen, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withSusp(boolean v) {
        return new ResourceState(role, peer, conn, disk, pdsk, v, suspNod, suspFen, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withSuspNod(boolean v) {
        return new ResourceState(role, peer, conn, disk, pdsk, susp, v, suspFen, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withSuspFen(boolean v) {
        return new ResourceState(role, peer, conn, disk, pdsk, susp, suspNod, v, aftrIsp, peerIsp, userIsp);
    }

    public ResourceState withAftrIsp(boolean v) {
        return new ResourceState(role, peer, conn, disk, pdsk, susp, suspNod, suspFen, v, peerIsp, userIsp);
    }

    public ResourceState withPeerIsp(boolean v) {
        return new ResourceState(role, peer, conn, disk, pdsk, susp, suspNod, suspFen, aftrIsp, v, userIsp);
    }

    public ResourceState withUserIsp(boolean v) {
        return new ResourceState(role, peer, conn, disk, pdsk, susp, suspNod, suspFen, aftrIsp, peerIsp, v);
    }

    /** Any of the three suspension reasons ({@code is_susp}): application I/O is frozen. */
    public boolean isSuspended() {
        return susp || suspNod || suspFen;
    }

    /** Any resync pause reason: a sync state shows as PausedSyncS/PausedSyncT. */
    public boolean isResyncPaused() {
        return aftrIsp || peerIsp || userIsp;
    }

    /**
     * The 32-bit state word of P_STATE / P_STATE_CHG_REQ (DRBD's little-endian bitfield layout, from
     * bit 0: role:2 peer:2 conn:5 disk:4 pdsk:4 susp:1 aftr_isp:1 peer_isp:1 user_isp:1 susp_nod:1 susp_fen:1).
     */
    public int toWord() {
        return role.wireValue()
                | peer.wireValue() << 2
                | conn.wireValue() << 4
                | disk.wireValue() << 9
                | pdsk.wireValue() << 13
                | bit(susp) << 17
                | bit(aftrIsp) << 18
                | bit(peerIsp) << 19
                | bit(userIsp) << 20
                | bit(suspNod) << 21
                | bit(suspFen) << 22;
    }

    /** Decodes a state word; the 9 pad bits must be zero and every field must name a DRBD 8.4 value. */
    public static ResourceState fromWord(int word) {
        if ((word >>> 23) != 0) {
            throw new IllegalArgumentException(String.format(
                    "state word 0x%08x has pad bits 23..31 set; DRBD 8.4 keeps them zero", word));
        }
        return new ResourceState(
                Role.fromWire(word & 0x3),
                Role.fromWire(word >>> 2 & 0x3),
                ConnectionState.fromWire(word >>> 4 & 0x1f),
                DiskState.fromWire(word >>> 9 & 0xf),
                DiskState.fromWire(word >>> 13 & 0xf),
                (word >>> 17 & 1) != 0,
                (word >>> 21 & 1) != 0,
                (word >>> 22 & 1) != 0,
                (word >>> 18 & 1) != 0,
                (word >>> 19 & 1) != 0,
                (word >>> 20 & 1) != 0);
    }

    /**
     * DRBD's {@code print_st} form, used under "State change failed" in the log:
     * {@code { cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate r----- }} (flags: s/r suspended or
     * running, a/p/u pause reasons, F fencing, N no data).
     */
    public String brief() {
        return "{ cs:" + conn + " ro:" + role + "/" + peer + " ds:" + disk + "/" + pdsk + " "
                + (isSuspended() ? 's' : 'r')
                + (aftrIsp ? 'a' : '-')
                + (peerIsp ? 'p' : '-')
                + (userIsp ? 'u' : '-')
                + (suspFen ? 'F' : '-')
                + (suspNod ? 'N' : '-')
                + " }";
    }

    private static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
