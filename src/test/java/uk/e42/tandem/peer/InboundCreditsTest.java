package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The inbound window given back a quarter at a time, never more than was consumed. */
class InboundCreditsTest {

    @Test
    void aWindowOf32IsGivenBackEightAtATime() {
        InboundCredits credits = new InboundCredits(32);
        List<Integer> asked = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            asked.add(credits.consumed());
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            expected.addAll(List.of(0, 0, 0, 0, 0, 0, 0, 8));
        }
        assertEquals(expected, asked);
    }

    @Test
    void thePeerAlwaysKeepsThreeQuartersOfTheWindowAndNeverGetsMore() {
        int window = 64;
        InboundCredits credits = new InboundCredits(window);
        int outstanding = window;   // what the peer may still send
        for (int i = 0; i < 1000; i++) {
            outstanding--;          // one arrives and is done with
            outstanding += credits.consumed();
            assertTrue(outstanding >= window * 3 / 4 && outstanding <= window, "outstanding " + outstanding);
        }
    }

    @Test
    void smallWindowsAreGivenBackOneAtATime() {
        for (int window : new int[] {1, 2, 3}) {
            InboundCredits credits = new InboundCredits(window);
            assertEquals(1, credits.consumed(), "window " + window);
        }
    }

    @Test
    void anEmptyWindowIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new InboundCredits(0));
        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
    }
}
