package uk.e42.tandem.cli;

/** Exit codes, after drbdadm's where drbdadm has one. */
public final class ExitCodes {
    public static final int OK = 0;
    /** The verb failed, or this build cannot do it yet; the message says which. */
    public static final int FAILED = 1;
    /** Bad command line (picocli's usage error code). */
    public static final int USAGE = 2;
    /** drbdadm: configuration file could not be parsed. */
    public static final int CONFIG = 10;
    /** drbdadm/drbdsetup: "State change failed". */
    public static final int STATE_CHANGE_FAILED = 11;
    /** drbdsetup: could not reach the kernel module; for us, the daemon. */
    public static final int NO_DAEMON = 20;

    private ExitCodes() {
    }
}
