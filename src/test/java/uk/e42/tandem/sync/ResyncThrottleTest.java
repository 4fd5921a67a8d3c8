package uk.e42.tandem.sync;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** DRBD's c-min-rate throttle: application activity and a resync above c-min-rate, both needed. */
class ResyncThrottleTest {

    @Test
    void activityAndARateAboveCMinRateSlowTheResyncDown() {
        ResyncThrottle throttle = new ResyncThrottle();
        assertFalse(throttle.shouldSlowDown(250, 1000, 40_000), "the first look only takes the count");
        assertTrue(throttle.shouldSlowDown(250, 1065, 40_000), "65 sectors of application I/O is activity");
    }

    @Test
    void upTo64SectorsIsNoActivity() {
        ResyncThrottle throttle = new ResyncThrottle();
        throttle.shouldSlowDown(250, 0, 40_000);
        assertFalse(throttle.shouldSlowDown(250, 64, 40_000));
        assertTrue(throttle.shouldSlowDown(250, 65, 40_000), "still counted from the last time it slowed down");
    }

    @Test
    void activityIsCountedFromTheLastTimeItWasSeen() {
        ResyncThrottle throttle = new ResyncThrottle();
        throttle.shouldSlowDown(250, 0, 40_000);
        assertTrue(throttle.shouldSlowDown(250, 100, 40_000));
        assertFalse(throttle.shouldSlowDown(250, 150, 40_000), "50 sectors since the last activity");
        assertTrue(throttle.shouldSlowDown(250, 200, 40_000));
    }

    @Test
    void aResyncAtOrBelowCMinRateIsNeverSlowedDown() {
        ResyncThrottle throttle = new ResyncThrottle();
        throttle.shouldSlowDown(4096, 0, 4096);
        assertFalse(throttle.shouldSlowDown(4096, 10_000, 4096));
        assertFalse(throttle.shouldSlowDown(4096, 20_000, 1000));
        assertTrue(throttle.shouldSlowDown(4096, 30_000, 4097));
    }

    @Test
    void cMinRateZeroDisablesTheThrottle() {
        ResyncThrottle throttle = new ResyncThrottle();
        for (long sectors = 0; sectors < 100_000; sectors += 10_000) {
            assertFalse(throttle.shouldSlowDown(0, sectors, 1 << 20));
        }
    }
}
