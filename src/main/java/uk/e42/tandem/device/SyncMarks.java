package uk.e42.tandem.device;

import java.util.ArrayDeque;

/**
 * The figures of /proc/drbd's progress lines: DRBD keeps sync marks (time, blocks left) and
 * reports the recent rate over the last few seconds, the average since the start without paused
 * time, and the controller's {@code want}. Rates are in KiB/s.
 */
final class SyncMarks {
    private static final long MARK_NANOS = 1_000_000_000L;
    private static final int RECENT_MARKS = 6;

    private final long totalBits;
    private final long startNanos = System.nanoTime();
    private final ArrayDeque<long[]> marks = new ArrayDeque<>();
    private long pausedNanos;
    private long pausedSince = -1;
    private volatile long lastLeft;
    private volatile long want;
    private volatile boolean hasWant;

    SyncMarks(long totalBits) {
        this.totalBits = totalBits;
        this.lastLeft = totalBits;
        marks.add(new long[] {startNanos, totalBits});
    }

    synchronized void record(long leftBits) {
        lastLeft = leftBits;
        long now = System.nanoTime();
        if (now - marks.peekLast()[0] >= MARK_NANOS) {
            marks.add(new long[] {now, leftBits});
            while (marks.size() > RECENT_MARKS) {
                marks.poll();
            }
        }
    }

    synchronized void paused(boolean paused) {
        long now = System.nanoTime();
        if (paused && pausedSince < 0) {
            pausedSince = now;
        } else if (!paused && pausedSince >= 0) {
            pausedNanos += now - pausedSince;
            pausedSince = -1;
        }
    }

    void want(long kibPerSec) {
        want = kibPerSec;
        hasWant = true;
    }

    long want() {
        return want;
    }

    boolean hasWant() {
        return hasWant;
    }

    long totalBits() {
        return totalBits;
    }

    long leftBits() {
        return lastLeft;
    }

    synchronized long recentKibPerSec() {
        long[] oldest = marks.peekFirst();
        long nanos = System.nanoTime() - oldest[0];
        return nanos <= 0 ? 0 : Math.max(0, oldest[1] - lastLeft) * 4 * 1_000_000_000L / nanos;
    }

    synchronized long averageKibPerSec() {
        long nanos = System.nanoTime() - startNanos - pausedNanos - (pausedSince < 0 ? 0 : System.nanoTime() - pausedSince);
        return nanos <= 0 ? 0 : Math.max(0, totalBits - lastLeft) * 4 * 1_000_000_000L / nanos;
    }

    /** DRBD flags a resync without progress for 180 s as stalled. */
    synchronized boolean stalled() {
        long[] newest = marks.peekLast();
        return newest[1] == lastLeft && System.nanoTime() - newest[0] > 180 * MARK_NANOS;
    }
}
