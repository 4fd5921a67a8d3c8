package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.sync.ResyncRateController;

/** The step credit, the in-flight bound and the refill rule shared by the SyncTarget and the VerifyS. */
class RequestPacerTest {
    private static final long STEP_NANOS = ResyncRateController.STEP_MILLIS * 1_000_000L;
    private static final int SECTORS_PER_BLOCK = 8;

    /** A fixed resync-rate (c-plan-ahead 0) of 40,000 KiB/s: 1,000 blocks a step; max-buffers 2048: 1,024 in flight. */
    private static ResyncRateController.Settings fixedRate(long cMinRate) {
        return new ResyncRateController.Settings(40_000, 0, 10, 100, 102400, cMinRate, 2048);
    }

    private final List<Integer> asked = new ArrayList<>();
    private final List<Long> wants = new ArrayList<>();
    private long applicationSectors;
    private long recentKibPerSec;

    private RequestPacer pacer(ResyncRateController.Settings settings) {
        return new RequestPacer(new ResyncRateController(settings), () -> applicationSectors, () -> recentKibPerSec,
                wants::add);
    }

    /** Asks for every block it may. */
    private int issueAll(int blocks) {
        asked.add(blocks);
        return blocks;
    }

    @Test
    void aStepAsksForItsCreditAndReportsTheRate() {
        RequestPacer pacer = pacer(fixedRate(0));
        pacer.step(0, this::issueAll);
        assertEquals(List.of(1000), asked);
        assertEquals(List.of(40_000L), wants);
    }

    @Test
    void aRefillWaitsForAWholeRequestsWorthOfRoom() {
        RequestPacer pacer = pacer(fixedRate(0));
        pacer.step(0, this::issueAll);
        // A step later the credit is back, but only 24 blocks fit below max-buffers/2.
        pacer.refill(STEP_NANOS, 1_000_000, this::issueAll);
        assertEquals(List.of(1000), asked, "24 blocks of room is less than one 1 MiB request");
        pacer.replied(500L * SECTORS_PER_BLOCK);
        pacer.refill(STEP_NANOS, 1_000_000, this::issueAll);
        assertEquals(List.of(1000, 524), asked, "the replies made room for 524 blocks, more than a request");
    }

    @Test
    void aRefillTakesTheRestOfTheRunThoughItIsLessThanARequest() {
        RequestPacer pacer = pacer(fixedRate(0));
        pacer.step(0, this::issueAll);
        pacer.refill(STEP_NANOS, 24, this::issueAll);
        assertEquals(List.of(1000, 24), asked);
    }

    @Test
    void onlyTheBlocksReallyAskedForCountAsInFlight() {
        RequestPacer pacer = pacer(fixedRate(0));
        pacer.step(0, blocks -> {
            asked.add(blocks);
            return 10;
        });
        pacer.refill(STEP_NANOS, 1_000_000, this::issueAll);
        assertEquals(List.of(1000, 1014), asked, "only 10 blocks are in flight, so 1,014 fit below max-buffers/2");
    }

    @Test
    void cMinRateHoldsTheRunBackWhileTheApplicationUsesTheDisk() {
        RequestPacer pacer = pacer(fixedRate(4000));
        recentKibPerSec = 50_000;
        pacer.step(0, this::issueAll);
        applicationSectors = 1000;
        pacer.step(STEP_NANOS, this::issueAll);
        pacer.refill(STEP_NANOS, 1_000_000, this::issueAll);
        assertEquals(List.of(1000, 0), asked, "the first look takes the count; then the application's I/O holds the"
                + " step back, and its credit is dropped, so the refill finds none");
        recentKibPerSec = 3000;
        applicationSectors = 2000;
        pacer.step(3 * STEP_NANOS, this::issueAll);
        assertEquals(3, asked.size());
        assertEquals(24, asked.get(2), "below c-min-rate the run goes on (up to max-buffers/2 in flight)");
    }
}
