package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.v1.VerifyResult;
import uk.e42.tandem.sync.OnlineVerify;

/**
 * The hostile-peer rules for the VerifyS's results: each block of the range gets one result, so a
 * repeated result cannot end the VerifyT's run before every block was compared. In-sync results only:
 * they touch neither the disk nor the meta data.
 */
class VerifyTargetTest {
    private static final OnlineVerify.Range RANGE = new OnlineVerify.Range(0, 512);

    private final List<String> violations = new ArrayList<>();
    private final List<Long> finished = new ArrayList<>();
    private final VerifyTarget target = new VerifyTarget(null, null, null, null, RANGE, new SyncMarks(RANGE.bits()),
            "r0", (verifiedBits, activeMillis) -> finished.add(verifiedBits));

    private void result(long sector, int size) {
        target.onResult(VerifyResult.newBuilder().setSector(sector).setSize(size).setInSync(true).build(),
                violations::add);
    }

    @Test
    void everyBlockWithOneResultEndsTheRun() {
        result(0, 1 << 20);
        assertEquals(List.of(), finished);
        result(2048, 1 << 20);
        assertEquals(List.of(), violations);
        assertEquals(List.of(512L), finished);
    }

    @Test
    void aRepeatedResultIsRefusedAndDoesNotCount() {
        result(0, 1 << 20);
        result(0, 1 << 20);
        assertEquals(List.of("peer sent a second verify result for sector 0"), violations);
        assertEquals(List.of(), finished, "half the range has no result yet");
    }

    @Test
    void aResultOverlappingAnEarlierOneIsRefused() {
        result(0, 8192);
        result(8, 8192);
        assertEquals(1, violations.size());
        assertTrue(violations.getFirst().contains("second verify result for sector 8"), violations.getFirst());
        result(16, (1 << 20) - 16 * 512);
        result(2048, 1 << 20);
        assertEquals(List.of(512L), finished, "the run still ends when every block has its one result");
    }
}
