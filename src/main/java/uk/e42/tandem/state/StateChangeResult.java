package uk.e42.tandem.state;

/**
 * DRBD 8.4's {@code enum drbd_state_rv}: the outcome of a state change request, with DRBD's number
 * and, for refusals, DRBD's text ({@code drbd_set_st_err_str}). Codes &ge; 1 mean the change may
 * happen. drbdadm prints a refusal as {@code State change failed: (-2) Need access to UpToDate data}.
 */
public enum StateChangeResult {
    SS_CW_NO_NEED(4, "No cluster-wide state change needed"),
    SS_CW_SUCCESS(3, "Cluster-wide state change succeeded"),
    SS_NOTHING_TO_DO(2, "Nothing to do"),
    SS_SUCCESS(1, "Success"),
    SS_UNKNOWN_ERROR(0, "Unknown error"),
    SS_TWO_PRIMARIES(-1, "Multiple primaries not allowed by config"),
    SS_NO_UP_TO_DATE_DISK(-2, "Need access to UpToDate data"),
    SS_NO_LOCAL_DISK(-4, "Can not resync without local disk"),
    SS_NO_REMOTE_DISK(-5, "Can not resync without remote disk"),
    SS_CONNECTED_OUTDATES(-6, "Refusing to be Outdated while Connected"),
    SS_PRIMARY_NOP(-7, "Refusing to be Primary while peer is not outdated"),
    SS_RESYNC_RUNNING(-8, "Can not start OV/resync since it is already active"),
    SS_ALREADY_STANDALONE(-9, "Can not disconnect a StandAlone device"),
    SS_CW_FAILED_BY_PEER(-10, "State change was refused by peer node"),
    SS_IS_DISKLESS(-11, "Device is diskless, the requested operation requires a disk"),
    SS_DEVICE_IN_USE(-12, "Device is held open by someone"),
    SS_NO_NET_CONFIG(-13, "Have no net/connection configuration"),
    SS_NO_VERIFY_ALG(-14, "Need a verify algorithm to start online verify"),
    SS_NEED_CONNECTION(-15, "Need a connection to start verify or resync"),
    SS_LOWER_THAN_OUTDATED(-16, "Disk state is lower than outdated"),
    SS_NOT_SUPPORTED(-17, "Peer does not support protocol"),
    SS_IN_TRANSIENT_STATE(-18, "In transient state, retry after next state change"),
    SS_CONCURRENT_ST_CHG(-19, "Concurrent state changes detected and aborted"),
    SS_O_VOL_PEER_PRI(-20, "Other vol primary on peer not allowed by config"),
    SS_OUTDATE_WO_CONN(-21, "Need a connection for a graceful disconnect/outdate peer");

    private final int code;
    private final String text;

    StateChangeResult(int code, String text) {
        this.code = code;
        this.text = text;
    }

    /** DRBD's number ({@code SS_NO_UP_TO_DATE_DISK} is -2). */
    public int code() {
        return code;
    }

    public String text() {
        return text;
    }

    /** DRBD's test {@code rv >= SS_SUCCESS}. */
    public boolean isSuccess() {
        return code >= SS_SUCCESS.code;
    }

    /** The line drbdadm prints for a refusal, e.g. {@code State change failed: (-2) Need access to UpToDate data}. */
    public String failureMessage() {
        return "State change failed: (" + code + ") " + text;
    }

    public static StateChangeResult fromCode(int code) {
        for (StateChangeResult r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new IllegalArgumentException("state change result " + code + " is not one of DRBD 8.4's SS_ codes (4..-21)");
    }
}
