package uk.e42.tandem.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OnlineVerifyTest {

    @ParameterizedTest(name = "start {0} stop {1} of {2} sectors -> bits [{3}, {4})")
    @CsvSource({
        // whole device
        "0, 0, 65536, 0, 8192",
        // start rounded down to its 4 KiB block, as DRBD does
        "13, 0, 65536, 1, 8192",
        // stop rounded up: the block holding the stop sector's predecessor is verified
        "0, 9, 65536, 0, 2",
        "0, 16, 65536, 0, 2",
        // a stop beyond the end is the end
        "8, 1000000, 65536, 1, 8192",
        // a device that is not a multiple of 4 KiB: its partial last block counts
        "0, 0, 65540, 0, 8193",
    })
    void rangeInBitmapBlocks(long start, long stop, long deviceSectors, long firstBit, long endBit) {
        assertEquals(new OnlineVerify.Range(firstBit, endBit), OnlineVerify.range(start, stop, deviceSectors));
    }

    @Test
    void rangeOutsideTheDeviceIsRefusedNamingTheSector() {
        IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                () -> OnlineVerify.range(65536, 0, 65536));
        assertEquals("--start 65536 is beyond the end of the device (65536 sectors); give a sector below 65536",
                beyond.getMessage());
        IllegalArgumentException backwards = assertThrows(IllegalArgumentException.class,
                () -> OnlineVerify.range(800, 80, 65536));
        assertTrue(backwards.getMessage().startsWith("--stop 80 is not after --start 800"), backwards.getMessage());
    }

    @Test
    void differingBlocksComeFromTheirOwnDigestSlices() {
        byte[] ours = {1, 1, 2, 2, 3, 3, 4, 4};
        byte[] theirs = {1, 1, 2, 9, 3, 3, 9, 4};
        BitSet expected = new BitSet();
        expected.set(1);
        expected.set(3);
        assertEquals(expected, OnlineVerify.differing(ours, theirs, 4));
        assertEquals(new BitSet(), OnlineVerify.differing(ours, ours.clone(), 4));
    }

    @Test
    void peerDigestsOfAnotherLengthAreAProtocolError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnlineVerify.differing(new byte[40], new byte[64], 2));
        assertTrue(e.getMessage().contains("is verify-alg the same on both nodes?"), e.getMessage());
    }

    @Test
    void neighbouringOutOfSyncBlocksAreLoggedAsOneRun() {
        OnlineVerify.OutOfSyncRuns runs = new OnlineVerify.OutOfSyncRuns();
        List<String> lines = new ArrayList<>();
        // blocks at sectors 8, 16, 24 (one run), 40 (after a gap), an in-sync block, then 80
        runs.outOfSync(8, 8).ifPresent(lines::add);
        runs.outOfSync(16, 8).ifPresent(lines::add);
        runs.outOfSync(24, 8).ifPresent(lines::add);
        runs.outOfSync(40, 8).ifPresent(lines::add);
        runs.close().ifPresent(lines::add);
        runs.close().ifPresent(lines::add);
        runs.outOfSync(80, 8).ifPresent(lines::add);
        runs.close().ifPresent(lines::add);
        assertEquals(List.of("Out of sync: start=8, size=24 (sectors)", "Out of sync: start=40, size=8 (sectors)",
                "Out of sync: start=80, size=8 (sectors)"), lines);
    }

    @ParameterizedTest(name = "{0} bits in {1} ms + {2} ms paused")
    @CsvSource({
        "8192, 4000, 0, 'Online verify done (total 4 sec; paused 0 sec; 8192 K/sec)'",
        // under a second counts as one, as in DRBD
        "1024, 300, 0, 'Online verify done (total 1 sec; paused 0 sec; 4096 K/sec)'",
        "8192, 2000, 3000, 'Online verify done (total 5 sec; paused 3 sec; 16384 K/sec)'",
    })
    void doneLineAsDrbdPrintsIt(long bits, long active, long paused, String line) {
        assertEquals(line, OnlineVerify.doneLine(bits, active, paused));
    }

    @Test
    void foundLineOnlyWhenBlocksDiffer() {
        assertEquals(Optional.empty(), OnlineVerify.foundLine(0));
        assertEquals(Optional.of("Online verify found 3 4k block out of sync!"), OnlineVerify.foundLine(3));
    }
}
