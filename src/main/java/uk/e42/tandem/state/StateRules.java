package uk.e42.tandem.state;

import static uk.e42.tandem.state.ConnectionState.AHEAD;
import static uk.e42.tandem.state.ConnectionState.CONNECTED;
import static uk.e42.tandem.state.ConnectionState.DISCONNECTING;
import static uk.e42.tandem.state.ConnectionState.PAUSED_SYNC_S;
import static uk.e42.tandem.state.ConnectionState.PAUSED_SYNC_T;
import static uk.e42.tandem.state.ConnectionState.STAND_ALONE;
import static uk.e42.tandem.state.ConnectionState.STARTING_SYNC_S;
import static uk.e42.tandem.state.ConnectionState.STARTING_SYNC_T;
import static uk.e42.tandem.state.ConnectionState.SYNC_SOURCE;
import static uk.e42.tandem.state.ConnectionState.SYNC_TARGET;
import static uk.e42.tandem.state.ConnectionState.UNCONNECTED;
import static uk.e42.tandem.state.ConnectionState.VERIFY_S;
import static uk.e42.tandem.state.ConnectionState.VERIFY_T;
import static uk.e42.tandem.state.ConnectionState.WF_BIT_MAP_S;
import static uk.e42.tandem.state.ConnectionState.WF_CONNECTION;
import static uk.e42.tandem.state.ConnectionState.WF_REPORT_PARAMS;
import static uk.e42.tandem.state.DiskState.ATTACHING;
import static uk.e42.tandem.state.DiskState.CONSISTENT;
import static uk.e42.tandem.state.DiskState.DISKLESS;
import static uk.e42.tandem.state.DiskState.DUNKNOWN;
import static uk.e42.tandem.state.DiskState.FAILED;
import static uk.e42.tandem.state.DiskState.INCONSISTENT;
import static uk.e42.tandem.state.DiskState.NEGOTIATING;
import static uk.e42.tandem.state.DiskState.OUTDATED;
import static uk.e42.tandem.state.DiskState.UP_TO_DATE;
import static uk.e42.tandem.state.StateChangeResult.SS_ALREADY_STANDALONE;
import static uk.e42.tandem.state.StateChangeResult.SS_CONNECTED_OUTDATES;
import static uk.e42.tandem.state.StateChangeResult.SS_DEVICE_IN_USE;
import static uk.e42.tandem.state.StateChangeResult.SS_IN_TRANSIENT_STATE;
import static uk.e42.tandem.state.StateChangeResult.SS_IS_DISKLESS;
import static uk.e42.tandem.state.StateChangeResult.SS_LOWER_THAN_OUTDATED;
import static uk.e42.tandem.state.StateChangeResult.SS_NEED_CONNECTION;
import static uk.e42.tandem.state.StateChangeResult.SS_NOTHING_TO_DO;
import static uk.e42.tandem.state.StateChangeResult.SS_NOT_SUPPORTED;
import static uk.e42.tandem.state.StateChangeResult.SS_NO_LOCAL_DISK;
import static uk.e42.tandem.state.StateChangeResult.SS_NO_NET_CONFIG;
import static uk.e42.tandem.state.StateChangeResult.SS_NO_REMOTE_DISK;
import static uk.e42.tandem.state.StateChangeResult.SS_NO_UP_TO_DATE_DISK;
import static uk.e42.tandem.state.StateChangeResult.SS_NO_VERIFY_ALG;
import static uk.e42.tandem.state.StateChangeResult.SS_OUTDATE_WO_CONN;
import static uk.e42.tandem.state.StateChangeResult.SS_O_VOL_PEER_PRI;
import static uk.e42.tandem.state.StateChangeResult.SS_PRIMARY_NOP;
import static uk.e42.tandem.state.StateChangeResult.SS_RESYNC_RUNNING;
import static uk.e42.tandem.state.StateChangeResult.SS_SUCCESS;
import static uk.e42.tandem.state.StateChangeResult.SS_TWO_PRIMARIES;

import java.util.Objects;

/**
 * DRBD 8.4's state engine rules ({@code drbd_state.c}): which states are legal, which transitions an
 * admin may ask for, and the implications DRBD applies on its own. Every change goes
 * {@link #sanitizeState} → {@link #isValidTransition} → (unless hard) {@link #isValidState} and
 * {@link #isValidSoftTransition}; {@link #setState} runs that sequence. The order of the checks is
 * DRBD's, because the first (or, in the soft-transition checks, the last) matching rule decides which
 * reason the admin reads.
 */
public final class StateRules {

    private StateRules() {
    }

    /** A sanitized state and the warning DRBD would log for it. */
    public record Sanitized(ResourceState state, SanitizeWarning warning) {
    }

    /**
     * The decision on one requested change. {@code ns} is the sanitized state that is entered when
     * {@code result} is a success ({@link StateChangeResult#SS_NOTHING_TO_DO} when it equals {@code os}).
     */
    public record Outcome(StateChangeResult result, ResourceState os, ResourceState ns, SanitizeWarning warning) {

        public boolean applied() {
            return result == SS_SUCCESS;
        }

        /** The log description of the change, e.g. {@code role( Secondary -> Primary )}. */
        public StateChange change() {
            return new StateChange(os, ns);
        }
    }

    /**
     * DRBD's {@code __drbd_set_state} decision: sanitize, then refuse what is not a legal transition;
     * a soft (admin-requested) change must also give a legal state, except that a change from an
     * already illegal state is let through when it is illegal for the same reason. A hard change
     * (imposed by the environment: disk failed, network gone) skips the last two checks.
     */
    public static Outcome setState(ResourceState os, ResourceState requested, StateContext ctx, boolean hard) {
        Sanitized sanitized = sanitizeState(os, requested, ctx);
        ResourceState ns = sanitized.state();
        if (ns.equals(os)) {
            return new Outcome(SS_NOTHING_TO_DO, os, ns, sanitized.warning());
        }
        StateChangeResult rv = isValidTransition(os, ns);
        if (rv.isSuccess() && !hard) {
            rv = isValidState(ns, ctx);
            if (!rv.isSuccess()) {
                if (isValidState(os, ctx) == rv) {
                    rv = isValidSoftTransition(os, ns, ctx);
                }
            } else {
                rv = isValidSoftTransition(os, ns, ctx);
            }
        }
        return new Outcome(rv.isSuccess() ? SS_SUCCESS : rv, os, ns, sanitized.warning());
    }

    /** DRBD's {@code is_valid_state}: is {@code ns} self-consistent? First matching rule wins. */
    public static StateChangeResult isValidState(ResourceState ns, StateContext ctx) {
        ConnectionState conn = ns.conn();
        DiskState disk = ns.disk();
        DiskState pdsk = ns.pdsk();
        boolean primary = ns.role() == Role.PRIMARY;

        if (ctx.netConfigured() && !ctx.allowTwoPrimaries() && primary) {
            if (ns.peer() == Role.PRIMARY) {
                return SS_TWO_PRIMARIES;
            }
            if (ctx.peerPrimaryOnOtherVolume()) {
                return SS_O_VOL_PEER_PRI;
            }
        }
        if (ns.role() == Role.SECONDARY && ctx.deviceOpen()) {
            return SS_DEVICE_IN_USE;
        }
        if (primary && conn.isBelow(CONNECTED) && disk.isBelow(UP_TO_DATE)) {
            return SS_NO_UP_TO_DATE_DISK;
        }
        if (ctx.fencing().compareTo(Fencing.RESOURCE_ONLY) >= 0
                && primary && conn.isBelow(CONNECTED) && pdsk.isAtLeast(DUNKNOWN)) {
            return SS_PRIMARY_NOP;
        }
        if (primary && disk.isAtMost(INCONSISTENT) && pdsk.isAtMost(INCONSISTENT)) {
            return SS_NO_UP_TO_DATE_DISK;
        }
        if (conn.isAbove(CONNECTED) && disk.isBelow(INCONSISTENT)) {
            return SS_NO_LOCAL_DISK;
        }
        if (conn.isAbove(CONNECTED) && pdsk.isBelow(INCONSISTENT)) {
            return SS_NO_REMOTE_DISK;
        }
        if (conn.isAbove(CONNECTED) && disk.isBelow(UP_TO_DATE) && pdsk.isBelow(UP_TO_DATE)) {
            return SS_NO_UP_TO_DATE_DISK;
        }
        if ((conn == CONNECTED || conn == WF_BIT_MAP_S || conn == SYNC_SOURCE || conn == PAUSED_SYNC_S)
                && disk == OUTDATED) {
            return SS_CONNECTED_OUTDATES;
        }
        boolean verify = conn == VERIFY_S || conn == VERIFY_T;
        if (verify && !ctx.verifyAlgConfigured()) {
            return SS_NO_VERIFY_ALG;
        }
        if (verify && ctx.agreedProtocolVersion() < 88) {
            return SS_NOT_SUPPORTED;
        }
        if (primary && disk.isBelow(UP_TO_DATE) && pdsk.isBelow(UP_TO_DATE)) {
            return SS_NO_UP_TO_DATE_DISK;
        }
        if ((conn == STARTING_SYNC_S || conn == STARTING_SYNC_T) && pdsk == DUNKNOWN) {
            return SS_NEED_CONNECTION;
        }
        if (conn.isAtLeast(CONNECTED) && pdsk == DUNKNOWN) {
            return SS_CONNECTED_OUTDATES;
        }
        return SS_SUCCESS;
    }

    /**
     * DRBD's {@code is_valid_soft_transition}: limits on what an admin may request. DRBD evaluates
     * every rule and the last matching one sets the answer, so this does the same.
     */
    public static StateChangeResult isValidSoftTransition(ResourceState os, ResourceState ns, StateContext ctx) {
        StateChangeResult rv = SS_SUCCESS;
        ConnectionState oc = os.conn();
        ConnectionState nc = ns.conn();
        boolean startingSync = nc == STARTING_SYNC_T || nc == STARTING_SYNC_S;
        boolean verify = nc == VERIFY_S || nc == VERIFY_T;

        if (startingSync && oc.isAbove(CONNECTED)) {
            rv = SS_RESYNC_RUNNING;
        }
        if (nc == DISCONNECTING && oc == STAND_ALONE) {
            rv = SS_ALREADY_STANDALONE;
        }
        if (ns.disk().isAbove(ATTACHING) && os.disk() == DISKLESS) {
            rv = SS_IS_DISKLESS;
        }
        if (nc == WF_CONNECTION && oc.isBelow(UNCONNECTED)) {
            rv = SS_NO_NET_CONFIG;
        }
        if (ns.disk() == OUTDATED && os.disk().isBelow(OUTDATED) && os.disk() != ATTACHING) {
            rv = SS_LOWER_THAN_OUTDATED;
        }
        if (nc == DISCONNECTING && oc == UNCONNECTED) {
            rv = SS_IN_TRANSIENT_STATE;
        }
        // While the connection is being established only the connection state may move; role
        // changes, attach and detach wait until the peer has our state.
        if (ctx.stateSent()
                && !((nc == WF_REPORT_PARAMS && oc == WF_CONNECTION)
                || (nc.isAtLeast(CONNECTED) && oc == WF_REPORT_PARAMS))) {
            rv = SS_IN_TRANSIENT_STATE;
        }
        if (verify && oc.isBelow(CONNECTED)) {
            rv = SS_NEED_CONNECTION;
        }
        if (verify && nc != oc && oc.isAbove(CONNECTED)) {
            rv = SS_RESYNC_RUNNING;
        }
        if (startingSync && oc.isBelow(CONNECTED)) {
            rv = SS_NEED_CONNECTION;
        }
        if ((nc == SYNC_TARGET || nc == SYNC_SOURCE) && oc.isBelow(WF_REPORT_PARAMS)) {
            rv = SS_NEED_CONNECTION;
        }
        if (nc == DISCONNECTING && ns.pdsk() == OUTDATED && oc.isBelow(CONNECTED) && os.pdsk().isAbove(OUTDATED)) {
            rv = SS_OUTDATE_WO_CONN;
        }
        return rv;
    }

    /** DRBD's {@code is_valid_conn_transition}: the connection state's own graph. */
    public static StateChangeResult isValidConnTransition(ConnectionState oc, ConnectionState nc) {
        if (oc == nc) {
            return SS_NOTHING_TO_DO;
        }
        if (oc == STAND_ALONE && nc == DISCONNECTING) {
            return SS_ALREADY_STANDALONE;
        }
        if (oc == STAND_ALONE && nc != UNCONNECTED) {
            return SS_NEED_CONNECTION;
        }
        // A connection must pass WFReportParams, so that invalidate-remote on a disconnected
        // resource cannot jump straight into a sync state.
        if (oc.isBelow(WF_REPORT_PARAMS) && nc.isAtLeast(CONNECTED)) {
            return SS_NEED_CONNECTION;
        }
        if (oc.isNetworkError() && nc != UNCONNECTED && nc != DISCONNECTING) {
            return SS_IN_TRANSIENT_STATE;
        }
        if (oc == DISCONNECTING && nc != STAND_ALONE) {
            return SS_IN_TRANSIENT_STATE;
        }
        return SS_SUCCESS;
    }

    /** DRBD's {@code is_valid_transition}: limits even on hard changes. */
    public static StateChangeResult isValidTransition(ResourceState os, ResourceState ns) {
        StateChangeResult rv = isValidConnTransition(os.conn(), ns.conn());
        if (ns.disk() == FAILED && os.disk() == DISKLESS) {
            rv = SS_IS_DISKLESS;
        }
        return rv;
    }

    /**
     * DRBD's {@code sanitize_state}: the implications DRBD applies to a requested state instead of
     * refusing it (losing the connection forgets the peer, connecting upgrades Consistent/Outdated,
     * pause flags pick the Paused sync states, each connection state pins the disk states, fencing
     * and on-no-data-accessible suspend I/O). Sanitizing a sanitized state changes nothing.
     */
    public static Sanitized sanitizeState(ResourceState os, ResourceState requested, StateContext ctx) {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(requested, "requested");
        SanitizeWarning warn = SanitizeWarning.NO_WARNING;
        Role peer = requested.peer();
        ConnectionState conn = requested.conn();
        DiskState disk = requested.disk();
        DiskState pdsk = requested.pdsk();
        boolean peerIsp = requested.peerIsp();
        boolean aftrIsp = requested.aftrIsp();
        boolean suspNod = requested.suspNod();
        boolean suspFen = requested.suspFen();

        // Without a connection nothing is known of the peer, except that its disk was
        // Inconsistent or Outdated: that knowledge stays valid.
        if (conn.isBelow(CONNECTED)) {
            peerIsp = false;
            peer = Role.UNKNOWN;
            if (pdsk.isAbove(DUNKNOWN) || pdsk.isBelow(INCONSISTENT)) {
                pdsk = DUNKNOWN;
            }
        }
        if (conn.isAbove(CONNECTED) && (disk.isAtMost(FAILED) || pdsk.isAtMost(FAILED))) {
            warn = conn == VERIFY_S || conn == VERIFY_T
                    ? SanitizeWarning.ABORTED_ONLINE_VERIFY : SanitizeWarning.ABORTED_RESYNC;
            conn = CONNECTED;
        }
        if (conn.isBelow(CONNECTED) && disk == NEGOTIATING) {
            StateContext.Negotiation n = ctx.negotiation();
            if (n != null && n.exposedDataIsCurrent()) {
                disk = n.disk();
                pdsk = n.pdsk();
            } else {
                warn = SanitizeWarning.CONNECTION_LOST_NEGOTIATING;
                disk = DISKLESS;
                pdsk = DUNKNOWN;
            }
        }
        // Unconfigured: no dependency can hold a resync back. DRBD checks this before the
        // Negotiating fallback above can make the disk Diskless; checking after it keeps
        // sanitizing idempotent.
        if (conn == STAND_ALONE && disk == DISKLESS && requested.role() == Role.SECONDARY) {
            aftrIsp = false;
        }
        // Connected peers compare generations: an unconnected "Consistent" or "Outdated" is
        // UpToDate relative to the peer once connected (a real difference shows as a sync state).
        if (conn.isAtLeast(CONNECTED) && conn.isBelow(AHEAD)) {
            if (disk == CONSISTENT || disk == OUTDATED) {
                disk = UP_TO_DATE;
            }
            if (pdsk == CONSISTENT || pdsk == OUTDATED) {
                pdsk = UP_TO_DATE;
            }
        }

        // DRBD flips between SyncX and PausedSyncX after pinning the disk states, which can leave
        // e.g. SyncTarget with an Outdated disk until the next change re-sanitizes it. Flipping
        // first pins the disks for the state actually entered, so sanitizing is idempotent; the
        // states DRBD itself produces are the same.
        if (aftrIsp || peerIsp || requested.userIsp()) {
            if (conn == SYNC_SOURCE) {
                conn = PAUSED_SYNC_S;
            }
            if (conn == SYNC_TARGET) {
                conn = PAUSED_SYNC_T;
            }
        } else {
            if (conn == PAUSED_SYNC_S) {
                conn = SYNC_SOURCE;
            }
            if (conn == PAUSED_SYNC_T) {
                conn = SYNC_TARGET;
            }
        }

        DiskState diskMin = DISKLESS;
        DiskState diskMax = UP_TO_DATE;
        DiskState pdskMin = INCONSISTENT;
        DiskState pdskMax = DUNKNOWN;
        switch (conn) {
            case WF_BIT_MAP_T, PAUSED_SYNC_T, STARTING_SYNC_T, WF_SYNC_UUID, BEHIND -> {
                diskMin = INCONSISTENT;
                diskMax = OUTDATED;
                pdskMin = UP_TO_DATE;
                pdskMax = UP_TO_DATE;
            }
            case VERIFY_S, VERIFY_T -> {
                diskMin = UP_TO_DATE;
                diskMax = UP_TO_DATE;
                pdskMin = UP_TO_DATE;
                pdskMax = UP_TO_DATE;
            }
            case CONNECTED -> {
                pdskMin = DISKLESS;
                pdskMax = UP_TO_DATE;
            }
            case WF_BIT_MAP_S, PAUSED_SYNC_S, STARTING_SYNC_S, AHEAD -> {
                diskMin = UP_TO_DATE;
                diskMax = UP_TO_DATE;
                pdskMin = INCONSISTENT;
                pdskMax = CONSISTENT;
            }
            case SYNC_TARGET -> {
                diskMin = INCONSISTENT;
                diskMax = INCONSISTENT;
                pdskMin = UP_TO_DATE;
                pdskMax = UP_TO_DATE;
            }
            case SYNC_SOURCE -> {
                diskMin = UP_TO_DATE;
                diskMax = UP_TO_DATE;
                pdskMin = INCONSISTENT;
                pdskMax = INCONSISTENT;
            }
            default -> {
                // StandAlone .. WFReportParams keep the defaults above.
            }
        }
        if (disk.isAbove(diskMax)) {
            disk = diskMax;
        }
        if (disk.isBelow(diskMin)) {
            warn = SanitizeWarning.IMPLICITLY_UPGRADED_DISK;
            disk = diskMin;
        }
        if (pdsk.isAbove(pdskMax)) {
            pdsk = pdskMax;
        }
        if (pdsk.isBelow(pdskMin)) {
            warn = SanitizeWarning.IMPLICITLY_UPGRADED_PDSK;
            pdsk = pdskMin;
        }

        Role role = requested.role();
        // Freeze I/O only on the edge into the dangerous state: the handler (or the admin) thaws it.
        if (ctx.fencing() == Fencing.RESOURCE_AND_STONITH
                && role == Role.PRIMARY && conn.isBelow(CONNECTED) && pdsk.isAbove(OUTDATED)
                && !(os.role() == Role.PRIMARY && os.conn().isBelow(CONNECTED) && os.pdsk().isAbove(OUTDATED))) {
            suspFen = true;
        }
        if (ctx.onNoDataSuspendIo()
                && role == Role.PRIMARY && disk.isBelow(UP_TO_DATE) && pdsk.isBelow(UP_TO_DATE)
                && !(os.role() == Role.PRIMARY && os.disk().isBelow(UP_TO_DATE) && os.pdsk().isBelow(UP_TO_DATE))) {
            suspNod = true;
        }

        ResourceState ns = new ResourceState(role, peer, conn, disk, pdsk, requested.susp(), suspNod, suspFen,
                aftrIsp, peerIsp, requested.userIsp());
        return new Sanitized(ns, warn);
    }
}
