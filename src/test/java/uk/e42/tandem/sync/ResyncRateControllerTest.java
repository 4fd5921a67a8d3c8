package uk.e42.tandem.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The controller against a simulated link, step by step (one step = DRBD's 100 ms; time is the step
 * number times 100 ms, no clocks). The link answers each 4 KiB request after {@code latency} steps, at
 * most {@code bandwidth} sectors per step, in order.
 */
class ResyncRateControllerTest {

    private static final ResyncRateController.Settings D = ResyncRateController.Settings.DEFAULTS;
    private static final long STEP = 100_000_000L;

    /** Requests in flight on a simulated link: {step issued, sectors}. */
    static final class Link {
        final int latency;
        final long bandwidth;
        final ArrayDeque<long[]> queue = new ArrayDeque<>();
        long partial;

        Link(int latency, long bandwidth) {
            this.latency = latency;
            this.bandwidth = bandwidth;
        }

        void send(long step, int requests) {
            for (int i = 0; i < requests; i++) {
                queue.add(new long[] {step, 8});
            }
        }

        /** Sectors answered by {@code step}. */
        long deliver(long step) {
            long budget = bandwidth;
            long in = 0;
            while (!queue.isEmpty() && queue.peek()[0] + latency <= step && budget > 0) {
                long[] r = queue.peek();
                long take = Math.min(r[1], budget);
                r[1] -= take;
                budget -= take;
                if (r[1] == 0) {
                    queue.poll();
                    in += 8;
                }
            }
            return in;
        }
    }

    /** Per step: sectors received, sectors in flight when the controller ran (DRBD's rs_in_flight), want, requests. */
    record Trace(List<Long> received, List<Long> inFlight, List<Long> want, List<Integer> requests) {
    }

    static Trace run(ResyncRateController c, Link link, int steps) {
        Trace t = new Trace(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int s = 1; s <= steps; s++) {
            long in = link.deliver(s);
            c.replied(in);
            ResyncRateController.Step step = c.step(s * STEP);
            t.received().add(in);
            t.inFlight().add(c.inFlightSectors());
            c.issued(step.requests());
            link.send(s, step.requests());
            t.want().add(step.want());
            t.requests().add(step.requests());
        }
        return t;
    }

    private static double average(List<? extends Number> values, int from) {
        return values.subList(from, values.size()).stream().mapToDouble(Number::doubleValue).average().orElseThrow();
    }

    @Test
    void firstStepPlansResyncRateOverTheHorizon() {
        ResyncRateController c = new ResyncRateController(D);
        // want = 250 KiB/s * 2 / 10 * 20 steps = 1000 sectors, 50 per step -> 6 requests (48 sectors).
        ResyncRateController.Step first = c.step(STEP);
        assertEquals(6, first.requests());
        assertEquals(240, first.want());
    }

    /**
     * On a link that is the bottleneck, the controller keeps c-fill-target sectors in flight and the
     * link busy. It settles a little below the target: like DRBD it drops the part of each step's
     * correction that does not make a whole 4 KiB request, and corrections smaller than one sector
     * per planned step (integer division).
     */
    @ParameterizedTest(name = "c-fill-target {0} sectors, latency {1} steps, link {2} sectors/step")
    @CsvSource({"100, 1, 400", "100, 5, 400", "2000, 1, 400", "2000, 2, 400", "4000, 3, 400", "4000, 3, 2000"})
    void convergesToCFillTarget(long fill, int latency, long bandwidth) {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(250, 20, 10, fill, 102400,
                250, 8192));
        Trace t = run(c, new Link(latency, bandwidth), 1200);
        List<Long> settled = t.inFlight().subList(800, 1200);
        long min = settled.stream().mapToLong(Long::longValue).min().orElseThrow();
        long max = settled.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(min >= fill - 80 && max <= fill, "in flight settled within [" + min + ", " + max + "]");
        if (fill >= bandwidth * latency) {
            assertEquals(bandwidth, average(t.received(), 800), 8.0, "the link stays busy");
        }
    }

    @Test
    void withDefaultsTheFirstStepsRampUpFromResyncRate() {
        Trace t = run(new ResyncRateController(D), new Link(2, 400), 40);
        assertEquals(240, t.want().getFirst());
        assertTrue(t.want().get(10) > 240, "the controller, not resync-rate, sets the pace after the start");
    }

    @Test
    void delayTargetKeepsOneSecondOfRepliesQueued() {
        // c-fill-target 0: want = sectors received per step * c-delay-target (10 steps = 1 s).
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(250, 20, 10, 0, 102400,
                250, 8192));
        Trace t = run(c, new Link(1, 400), 1200);
        double inFlight = average(t.inFlight(), 800);
        assertTrue(inFlight >= 4000 - 80 && inFlight <= 4000, "in flight settled at " + inFlight);
        assertEquals(400, average(t.received(), 800), 8.0);
    }

    @Test
    void cMaxRateCapsTheDynamicController() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(250, 20, 10, 1 << 20, 40960,
                250, 131072));
        Trace t = run(c, new Link(1, 1 << 30), 300);
        // 40960 KiB/s = 8192 sectors per step = 1024 requests.
        assertEquals(40960, t.want().getLast());
        assertTrue(t.requests().stream().allMatch(r -> r <= 1024));
        assertTrue(t.want().stream().allMatch(w -> w <= 40960));
    }

    @Test
    void fixedRateWhenCPlanAheadIsZero() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(1024, 0, 10, 100, 102400,
                250, 2048));
        Trace t = run(c, new Link(1, 1 << 30), 100);
        // 8.3 "syncer { rate 1M; }": 1024 KiB/s is 25.6 requests of 4 KiB per 100 ms, want: 1,024. The
        // fraction is kept, not rounded away: 10 s ask for 10240 KiB, 2560 requests.
        assertTrue(t.requests().stream().allMatch(r -> r == 25 || r == 26), t.requests().toString());
        assertEquals(2560, t.requests().stream().mapToInt(Integer::intValue).sum());
        assertTrue(t.want().stream().allMatch(w -> w == 1024));
    }

    /** The resync ticker runs late on a busy executor; the rate is a cap over time, so it holds anyway. */
    @ParameterizedTest(name = "steps every {0} ms")
    @CsvSource({"100", "130", "250"})
    void fixedRateIsACapOverTimeNotPerStep(long stepMillis) {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(20480, 0, 10, 100, 102400,
                250, 131072));
        long issued = 0;
        long now = 0;
        for (; now < 10_000_000_000L; now += stepMillis * 1_000_000L) {
            ResyncRateController.Step step = c.step(now);
            c.issued(step.requests());
            c.replied(step.requests() * 8L);
            issued += step.requests();
        }
        // 20480 KiB/s for the time the steps covered (the first step starts with 100 ms of credit).
        double seconds = (now - stepMillis * 1_000_000L) / 1e9 + 0.1;
        assertEquals(20480 * seconds / 4, issued, 1.0);
    }

    @Test
    void fixedRateCatchesUpAtMostOneSecondAfterMaxBuffersHeldItBack() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(20480, 0, 10, 100, 102400,
                250, 2048));
        // 20 MiB/s = 512 requests per step; max-buffers 2048 lets 1024 be in flight.
        assertEquals(512, c.step(STEP).requests());
        c.issued(512);
        assertEquals(512, c.step(2 * STEP).requests());
        c.issued(512);
        // The peer answers nothing for 3 s: nothing more goes out ...
        for (int s = 3; s <= 32; s++) {
            assertEquals(0, c.step(s * STEP).requests());
        }
        // ... then everything at once: one second of rate (5120 requests) is kept, bounded by max-buffers.
        c.replied(1024 * 8);
        assertEquals(1024, c.allowance(32 * STEP));
        c.issued(1024);
        c.replied(1024 * 8);
        assertEquals(1024, c.allowance(32 * STEP));
        c.issued(1024);
        c.replied(1024 * 8);
        c.issued(c.allowance(32 * STEP));
        c.replied(1024 * 8);
        c.issued(c.allowance(32 * STEP));
        c.replied(1024 * 8);
        assertEquals(1024, c.allowance(32 * STEP));
        c.issued(1024);
        c.replied(1024 * 8);
        assertEquals(0, c.allowance(32 * STEP), "5 x 1024 = 5120 requests: the second of credit is spent");
        assertEquals(51, c.allowance(32 * STEP + STEP / 10), "then 20 MiB/s again: 51.2 requests per 10 ms");
    }

    @ParameterizedTest(name = "c-plan-ahead {0}")
    @CsvSource({"0", "20"})
    void repliesMakeRoomWithinTheStep(int cPlanAhead) {
        // c-fill-target 1 GiB of sectors: the dynamic controller wants far more than max-buffers allows.
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(102400, cPlanAhead, 10,
                1 << 20, 4 << 20, 250, 2048));
        ResyncRateController.Step step = c.step(STEP);
        assertEquals(1024, step.requests(), "max-buffers/2 = 1024 pages in flight");
        c.issued(1024);
        assertEquals(0, c.allowance(STEP + 1));
        c.replied(256 * 8);
        assertEquals(256, c.allowance(STEP + 2), "a reply of 1 MiB makes room for 1 MiB more before the next step");
    }

    @Test
    void maxBuffersBoundsRequestsInFlight() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(102400, 0, 10, 100,
                102400, 250, 2048));
        // The peer never answers: the fixed rate would send 2560 requests per step, but only
        // max-buffers/2 = 1024 may be in flight.
        Trace t = run(c, new Link(1000, 0), 5);
        assertEquals(1024, t.requests().getFirst());
        assertEquals(0, t.requests().get(1));
        assertEquals(1024 * 8, c.inFlightSectors());
        assertEquals(102400, t.want().getLast());
    }

    @Test
    void outOfRangeSettingsSayWhatDrbdAccepts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ResyncRateController.Settings(250, 301, 10, 100, 102400, 250, 2048));
        assertEquals("c-plan-ahead 301 is out of range: DRBD accepts 0..300 (0.1 s)", e.getMessage());
    }

    /** c-min-rate: the dynamic controller's step is given up while the application is busy. */
    @Test
    void applicationActivityAboveCMinRateDropsTheRestOfTheStep() {
        ResyncRateController c = new ResyncRateController(D);
        assertFalse(c.giveWayToApplication(0, 40_000), "the first look only takes the count");
        ResyncRateController.Step step = c.step(STEP);
        assertTrue(step.requests() > 0);
        assertTrue(c.giveWayToApplication(1000, 40_000));
        assertEquals(0, c.allowance(STEP), "nothing more in this step");
        assertTrue(c.step(2 * STEP).requests() > 0, "the next step plans again");
        assertFalse(c.giveWayToApplication(2000, 200), "a resync at 200 KiB/s is below c-min-rate 250");
        assertTrue(c.allowance(2 * STEP) > 0);
    }

    @Test
    void aThrottledFixedRateDoesNotCatchUpLater() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(40960, 0, 10, 100, 102400,
                250, 131072));
        c.giveWayToApplication(0, 0);
        assertEquals(1024, c.step(STEP).requests(), "40 MiB/s = 1024 requests per 100 ms");
        assertTrue(c.giveWayToApplication(1000, 40960));
        assertEquals(0, c.allowance(STEP));
        // Half a second later only that half second's rate is there, not the throttled step's too.
        assertEquals(5 * 1024, c.allowance(6 * STEP));
    }

    @Test
    void cMinRateZeroNeverGivesWay() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(250, 20, 10, 100, 102400,
                0, 2048));
        for (long sectors = 0; sectors < 10_000; sectors += 1000) {
            assertFalse(c.giveWayToApplication(sectors, 1 << 20));
        }
    }

    @Test
    void adjustedFixedRateAppliesAtOnceWithoutTheOldRatesCredit() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(40960, 0, 10, 100, 102400,
                250, 131072));
        assertEquals(1024, c.step(STEP).requests(), "40 MiB/s = 1024 requests per 100 ms");
        c.useSettings(new ResyncRateController.Settings(4096, 0, 10, 100, 102400, 250, 131072));
        assertEquals(102, c.allowance(STEP), "one step of 4 MiB/s left of the old credit");
        c.issued(102);
        ResyncRateController.Step next = c.step(2 * STEP);
        assertEquals(4096, next.want());
        assertEquals(102, next.requests());
    }

    @Test
    void adjustedCMaxRateCapsTheRunningController() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(250, 20, 10, 1 << 20, 409600,
                250, 131072));
        Link link = new Link(1, 1 << 30);
        Trace before = run(c, link, 300);
        assertTrue(before.want().getLast() > 40960, "ramped up beyond 40 MiB/s: " + before.want().getLast());
        c.useSettings(new ResyncRateController.Settings(250, 20, 10, 1 << 20, 40960, 250, 131072));
        ResyncRateController.Step step = c.step(301 * STEP);
        assertEquals(40960, step.want(), "the new c-max-rate from the next step on");
    }

    @Test
    void adjustedCPlanAheadSwitchesBetweenFixedAndDynamic() {
        ResyncRateController c = new ResyncRateController(new ResyncRateController.Settings(4096, 0, 10, 100, 102400,
                250, 131072));
        assertEquals(4096, c.step(STEP).want());
        c.useSettings(new ResyncRateController.Settings(4096, 20, 10, 100, 102400, 250, 131072));
        ResyncRateController.Step dynamic = c.step(2 * STEP);
        assertTrue(dynamic.want() != 4096 && dynamic.requests() > 0, "the plan-ahead controller now: " + dynamic);
        c.issued(dynamic.requests());
        c.useSettings(new ResyncRateController.Settings(8192, 0, 10, 100, 102400, 250, 131072));
        ResyncRateController.Step fixed = c.step(3 * STEP);
        assertEquals(8192, fixed.want());
        assertEquals(204, fixed.requests(), "one step of 8 MiB/s, a fresh start");
    }
}
