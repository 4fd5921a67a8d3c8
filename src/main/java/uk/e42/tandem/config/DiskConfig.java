package uk.e42.tandem.config;

import java.util.Optional;

/** The effective {@code disk} options of a resource or volume, with DRBD 8.4's defaults. */
public final class DiskConfig extends TypedOptions {

    DiskConfig(Options options) {
        super(options);
    }

    /** KiB/s. */
    public long resyncRate() {
        return number("resync-rate");
    }

    public Optional<String> resyncAfter() {
        return optionalText("resync-after");
    }

    public int alExtents() {
        return (int) number("al-extents");
    }

    /** Tenths of a second; 0 turns the dynamic resync controller off. */
    public int cPlanAhead() {
        return (int) number("c-plan-ahead");
    }

    /** Sectors. */
    public long cFillTarget() {
        return number("c-fill-target");
    }

    /** Tenths of a second. */
    public int cDelayTarget() {
        return (int) number("c-delay-target");
    }

    /** KiB/s. */
    public long cMaxRate() {
        return number("c-max-rate");
    }

    /** KiB/s. */
    public long cMinRate() {
        return number("c-min-rate");
    }

    /** {@code pass_on}, {@code call-local-io-error} or {@code detach}. */
    public String onIoError() {
        return text("on-io-error");
    }

    /** {@code dont-care}, {@code resource-only} or {@code resource-and-stonith}. */
    public String fencing() {
        return text("fencing");
    }

    /** Sectors; 0 means the whole backing device. */
    public long size() {
        return number("size");
    }

    public boolean diskFlushes() {
        return flag("disk-flushes");
    }

    public boolean mdFlushes() {
        return flag("md-flushes");
    }

    public boolean diskBarrier() {
        return flag("disk-barrier");
    }

    public boolean diskDrain() {
        return flag("disk-drain");
    }

    public boolean alUpdates() {
        return flag("al-updates");
    }
}
