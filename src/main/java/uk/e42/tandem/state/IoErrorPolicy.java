package uk.e42.tandem.state;

/**
 * drbd.conf's {@code disk { on-io-error ...; }}: what a node does when its backing device fails a
 * request (DRBD 8.4's {@code __drbd_chk_io_error_}). The failed request itself is retried on the peer
 * when the peer has UpToDate data, whatever the policy.
 */
public enum IoErrorPolicy {
    /** Stay attached: the disk becomes Inconsistent and the failed blocks are marked out of sync. */
    PASS_ON("pass_on"),
    /** Run the {@code local-io-error} handler, then detach. */
    CALL_LOCAL_IO_ERROR("call-local-io-error"),
    /** The default: drop the backing device and go on Diskless, served by the peer. */
    DETACH("detach");

    /** Which I/O failed: application data (read or write) or the meta data (which always detaches). */
    public enum Source { READ, WRITE, META }

    private final String configName;

    IoErrorPolicy(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static IoErrorPolicy fromConfigName(String name) {
        for (IoErrorPolicy p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("on-io-error '" + name
                + "' is not one of pass_on, call-local-io-error, detach");
    }

    /** Whether an error of this kind makes the node drop its disk (pass_on keeps it for data errors). */
    public boolean detaches(Source source) {
        return this != PASS_ON || source == Source.META;
    }

    /**
     * The disk state after an error, from {@code disk}: Failed for a detach (from anything above
     * Failed), Inconsistent for pass_on (from anything above Inconsistent); otherwise unchanged.
     */
    public DiskState diskAfter(DiskState disk, Source source) {
        if (detaches(source)) {
            return disk.isAbove(DiskState.FAILED) ? DiskState.FAILED : disk;
        }
        return disk.isAbove(DiskState.INCONSISTENT) ? DiskState.INCONSISTENT : disk;
    }
}
