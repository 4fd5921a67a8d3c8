package uk.e42.tandem.sync;

/**
 * DRBD 8.4's {@code c-min-rate} throttle ({@code drbd_rs_c_min_rate_throttle}): resync gives way to
 * application I/O, but only while it runs faster than {@code c-min-rate}. DRBD looks at the sectors
 * the backing disk moved for anything but the resync; when more than {@link #ACTIVITY_SECTORS} of them
 * came since the last time it looked, and the recent resync rate is above c-min-rate, the resync waits
 * (the SyncTarget issues no more requests this step, the SyncSource answers 100 ms later). A resync at
 * or below c-min-rate is never slowed down, and {@code c-min-rate 0} turns the throttle off.
 *
 * <p>One instance per resync or verify run; not thread-safe.
 */
public final class ResyncThrottle {

    /** DRBD's threshold: more than 64 sectors (32 KiB) of application I/O since the last look count as activity. */
    static final long ACTIVITY_SECTORS = 64;

    private long lastApplicationSectors = -1;

    /**
     * @param cMinRate           {@code c-min-rate}, KiB/s; 0 = never slow down
     * @param applicationSectors application sectors read and written on the backing disk so far (any
     *                           running count that excludes the resync's own I/O)
     * @param resyncKibPerSec    the recent resync rate, KiB/s (the sync marks' rate, as /proc/drbd's
     *                           {@code speed:})
     * @return whether the resync should wait for the application
     */
    public boolean shouldSlowDown(long cMinRate, long applicationSectors, long resyncKibPerSec) {
        if (cMinRate == 0) {
            return false;
        }
        if (lastApplicationSectors < 0) {
            // The first look only takes the count: what the disk did before the resync began is no activity.
            lastApplicationSectors = applicationSectors;
            return false;
        }
        if (applicationSectors - lastApplicationSectors <= ACTIVITY_SECTORS) {
            return false;
        }
        lastApplicationSectors = applicationSectors;
        return resyncKibPerSec > cMinRate;
    }
}
