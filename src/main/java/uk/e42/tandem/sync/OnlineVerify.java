package uk.e42.tandem.sync;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Optional;

/**
 * Online verify's decisions, as DRBD 8.4 makes them: which 4 KiB blocks a {@code verify --start/--stop}
 * covers, which blocks of a request differ (the VerifyT's digests against the VerifyS's own), how
 * neighbouring differences are merged into one "Out of sync" log line, and the lines printed when
 * the run is done. Pure; the device code does the I/O.
 */
public final class OnlineVerify {
    /** 512-byte sectors per 4 KiB bitmap block. */
    public static final int SECTORS_PER_BLOCK = 8;

    private OnlineVerify() {
    }

    /** Blocks {@code [firstBit, endBit)} of the device, in bitmap bits (4 KiB each). */
    public record Range(long firstBit, long endBit) {
        public long bits() {
            return endBit - firstBit;
        }

        public long startSector() {
            return firstBit * SECTORS_PER_BLOCK;
        }
    }

    /**
     * DRBD rounds the start sector down to its 4 KiB block and verifies up to the stop sector (0: to the
     * end of the device), never past the end.
     *
     * @throws IllegalArgumentException naming the sector that is out of range
     */
    public static Range range(long startSector, long stopSector, long deviceSectors) {
        long deviceBits = (deviceSectors + SECTORS_PER_BLOCK - 1) / SECTORS_PER_BLOCK;
        if (startSector < 0 || startSector >= deviceSectors) {
            throw new IllegalArgumentException("--start " + startSector + " is beyond the end of the device ("
                    + deviceSectors + " sectors); give a sector below " + deviceSectors);
        }
        if (stopSector != 0 && stopSector <= startSector) {
            throw new IllegalArgumentException("--stop " + stopSector + " is not after --start " + startSector
                    + "; give a larger stop sector, or none to verify to the end");
        }
        long firstBit = startSector / SECTORS_PER_BLOCK;
        long endBit = stopSector == 0 ? deviceBits
                : Math.min(deviceBits, (stopSector + SECTORS_PER_BLOCK - 1) / SECTORS_PER_BLOCK);
        return new Range(firstBit, endBit);
    }

    /**
     * Which of {@code blocks} blocks differ, from both sides' digests of each block, concatenated in
     * block order.
     *
     * @throws IllegalArgumentException when the peer's digests do not have the length ours have
     */
    public static BitSet differing(byte[] local, byte[] peer, int blocks) {
        if (blocks <= 0 || local.length % blocks != 0) {
            throw new IllegalArgumentException(local.length + " digest bytes do not split into " + blocks + " blocks");
        }
        if (peer.length != local.length) {
            throw new IllegalArgumentException("peer sent " + peer.length + " digest bytes for " + blocks
                    + " blocks; " + local.length + " expected (is verify-alg the same on both nodes?)");
        }
        int digestLength = local.length / blocks;
        BitSet differ = new BitSet(blocks);
        for (int block = 0; block < blocks; block++) {
            if (!Arrays.equals(local, block * digestLength, (block + 1) * digestLength, peer,
                    block * digestLength, (block + 1) * digestLength)) {
                differ.set(block);
            }
        }
        return differ;
    }

    /**
     * DRBD's {@code ov_last_oos_start/size}: out-of-sync blocks that follow each other are logged as
     * one run, {@code Out of sync: start=S, size=N (sectors)}, printed when an in-sync block (or the
     * end) closes the run.
     */
    public static final class OutOfSyncRuns {
        private long start;
        private long size;

        /** A block found out of sync; a gap before it closes the previous run. */
        public Optional<String> outOfSync(long sector, long sectors) {
            if (size > 0 && start + size == sector) {
                size += sectors;
                return Optional.empty();
            }
            Optional<String> closed = close();
            start = sector;
            size = sectors;
            return closed;
        }

        /** A block found in sync, or the end of the run: prints the open run. */
        public Optional<String> close() {
            if (size == 0) {
                return Optional.empty();
            }
            String line = "Out of sync: start=" + start + ", size=" + size + " (sectors)";
            size = 0;
            return Optional.of(line);
        }
    }

    /**
     * {@code Online verify done (total T sec; paused P sec; R K/sec)} as drbd_resync_finished prints it:
     * the rate is over the unpaused time, at least one second.
     */
    public static String doneLine(long verifiedBits, long activeMillis, long pausedMillis) {
        long seconds = Math.max(1, activeMillis / 1000);
        long paused = pausedMillis / 1000;
        return "Online verify done (total " + (seconds + paused) + " sec; paused " + paused + " sec; "
                + verifiedBits / seconds * 4 + " K/sec)";
    }

    /** DRBD's alert when the bitmap holds out-of-sync blocks after a verify; empty when none. */
    public static Optional<String> foundLine(long outOfSyncBits) {
        return outOfSyncBits == 0 ? Optional.empty()
                : Optional.of("Online verify found " + outOfSyncBits + " 4k block out of sync!");
    }
}
