package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class BitmapHeapBudgetTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final long TIB = 1L << 40;

    @Test
    void aFullBitmapIsABitPerStarted4KiBBlockInWhole4KiBPages() {
        assertEquals(32 * MIB, BitmapHeapBudget.fullBitmapBytes(TIB));
        assertEquals(2 * MIB, BitmapHeapBudget.fullBitmapBytes(64 * GIB));
        assertEquals(4096, BitmapHeapBudget.fullBitmapBytes(1));
        assertEquals(4096, BitmapHeapBudget.fullBitmapBytes(128 * MIB));
        assertEquals(8192, BitmapHeapBudget.fullBitmapBytes(128 * MIB + 1));
    }

    @Test
    void theDefaultCapHoldsOneTiBOfVolumesNextToTheBuffers() {
        BitmapHeapBudget budget = new BitmapHeapBudget(128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", 512 * GIB));
        assertEquals(Optional.empty(), budget.reserve("r1", 512 * GIB));
        String refusal = budget.reserve("r2", 64 * GIB).orElseThrow();
        assertEquals("the bitmap of this 65536 MiB volume needs up to 2 MiB of heap (32 MiB per TiB), other "
                + "attached volumes hold 32 MiB, and the daemon's heap is 128 MiB with 96 MiB kept for buffers; "
                + "start the daemon with a larger heap, e.g. TANDEM_JAVA_OPTS=-Xmx192m", refusal);
    }

    @Test
    void aReleasedVolumeGivesItsRoomBack() {
        BitmapHeapBudget budget = new BitmapHeapBudget(128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", TIB));
        assertTrue(budget.reserve("r1", GIB).isPresent());
        budget.release("r0");
        assertEquals(Optional.empty(), budget.reserve("r1", GIB));
    }

    @Test
    void reservingAgainReplacesTheHoldersFormerShare() {
        BitmapHeapBudget budget = new BitmapHeapBudget(128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", TIB));
        assertEquals(Optional.empty(), budget.reserve("r0", TIB / 2), "a shrink or re-attach, not a second volume");
        assertTrue(budget.reserve("r0", 2 * TIB).orElseThrow().endsWith("TANDEM_JAVA_OPTS=-Xmx192m"));
    }
}
