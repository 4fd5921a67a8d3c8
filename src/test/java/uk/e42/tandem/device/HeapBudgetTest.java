package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class HeapBudgetTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final long TIB = 1L << 40;
    /** DRBD's default max-buffers: 4 MiB of resync data in flight. */
    private static final int MAX_BUFFERS = 2048;
    /**
     * The launcher's -Xmx128m under the serial collector (the JVM's choice in a container under 1792 MiB),
     * less a survivor space (JDK 25).
     */
    private static final long SERIAL_USABLE_OF_128M = 123 * MIB + 768 * 1024;

    @Test
    void aFullBitmapIsABitPerStarted4KiBBlockInWhole4KiBPages() {
        assertEquals(32 * MIB, HeapBudget.fullBitmapBytes(TIB));
        assertEquals(2 * MIB, HeapBudget.fullBitmapBytes(64 * GIB));
        assertEquals(4096, HeapBudget.fullBitmapBytes(1));
        assertEquals(4096, HeapBudget.fullBitmapBytes(128 * MIB));
        assertEquals(8192, HeapBudget.fullBitmapBytes(128 * MIB + 1));
    }

    @Test
    void aSyncTargetHoldsHalfOfMaxBuffersInPages() {
        assertEquals(4 * MIB, HeapBudget.resyncBufferBytes(2048));
        assertEquals(256 * MIB, HeapBudget.resyncBufferBytes(131072));
    }

    @Test
    void theDefaultCapHoldsTwo384GiBVolumesNextToTheBuffers() {
        HeapBudget budget = new HeapBudget(128 * MIB, 128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", 384 * GIB, MAX_BUFFERS));
        assertEquals(Optional.empty(), budget.reserve("r1", 384 * GIB, MAX_BUFFERS));
        String refusal = budget.reserve("r2", 64 * GIB, MAX_BUFFERS).orElseThrow();
        assertEquals("this 65536 MiB volume needs up to 6 MiB of heap (2 MiB of bitmap, 32 MiB per TiB, and 4 MiB "
                + "of resync data for max-buffers 2048), other attached volumes hold 32 MiB, and the daemon's heap is "
                + "128 MiB with 96 MiB kept for the rest; start the daemon with a larger heap, e.g. "
                + "TANDEM_JAVA_OPTS=-Xmx192m, or lower max-buffers", refusal);
    }

    @Test
    void underTheSerialCollectorTheDefaultCapHoldsTwo316GiBVolumes() {
        HeapBudget budget = new HeapBudget(SERIAL_USABLE_OF_128M, 128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", 316 * GIB, MAX_BUFFERS));
        assertEquals(Optional.empty(), budget.reserve("r1", 316 * GIB, MAX_BUFFERS));
        String refusal = budget.reserve("r2", 64 * GIB, MAX_BUFFERS).orElseThrow();
        assertEquals("this 65536 MiB volume needs up to 6 MiB of heap (2 MiB of bitmap, 32 MiB per TiB, and 4 MiB "
                + "of resync data for max-buffers 2048), other attached volumes hold 28 MiB, and the daemon's heap is "
                + "124 MiB usable of -Xmx128m with 96 MiB kept for the rest; start the daemon with a larger heap, e.g. "
                + "TANDEM_JAVA_OPTS=-Xmx192m, or lower max-buffers", refusal);
        assertEquals(Optional.empty(), new HeapBudget(SERIAL_USABLE_OF_128M, 128 * MIB)
                .reserve("r0", 760 * GIB, MAX_BUFFERS), "or one of 760 GiB");
        assertTrue(new HeapBudget(SERIAL_USABLE_OF_128M, 128 * MIB).reserve("r0", 761 * GIB, MAX_BUFFERS).isPresent());
    }

    @Test
    void theLargestMaxBuffersNeedsItsOwnHeap() {
        String refusal = new HeapBudget(128 * MIB, 128 * MIB).reserve("r0", GIB, 131072).orElseThrow();
        assertTrue(refusal.endsWith("256 MiB of resync data for max-buffers 131072), other attached volumes hold 0 "
                + "MiB, and the daemon's heap is 128 MiB with 96 MiB kept for the rest; start the daemon with a larger "
                + "heap, e.g. TANDEM_JAVA_OPTS=-Xmx384m, or lower max-buffers"), refusal);
        assertEquals(Optional.empty(), new HeapBudget(384 * MIB, 384 * MIB).reserve("r0", GIB, 131072));
    }

    @Test
    void aReleasedVolumeGivesItsRoomBack() {
        HeapBudget budget = new HeapBudget(128 * MIB, 128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", 896 * GIB, MAX_BUFFERS));
        assertTrue(budget.reserve("r1", GIB, MAX_BUFFERS).isPresent());
        budget.release("r0");
        assertEquals(Optional.empty(), budget.reserve("r1", GIB, MAX_BUFFERS));
    }

    @Test
    void reservingAgainReplacesTheHoldersFormerShare() {
        HeapBudget budget = new HeapBudget(128 * MIB, 128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", 896 * GIB, MAX_BUFFERS));
        assertEquals(Optional.empty(), budget.reserve("r0", 896 * GIB, MAX_BUFFERS), "a re-attach, not a second volume");
        assertTrue(budget.reserve("r0", 2 * TIB, MAX_BUFFERS).orElseThrow().contains("TANDEM_JAVA_OPTS=-Xmx192m"));
        assertEquals(Optional.empty(), budget.reserve("r0", 896 * GIB, MAX_BUFFERS), "a refusal leaves the former share");
    }

    @Test
    void aChangeThatFailsGivesTheRoomBackAndOneThatSucceedsKeepsIt() throws HeapBudget.NoRoom {
        HeapBudget budget = new HeapBudget(128 * MIB, 128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", 64 * GIB, MAX_BUFFERS));
        long attached = budget.held("r0");
        // A resize to 512 GiB reserves its room, then fails (the meta data write, the peer): the 64 GiB hold is back.
        try (HeapBudget.Change resize = budget.change("r0", 512 * GIB, MAX_BUFFERS)) {
            assertEquals(16 * MIB + 4 * MIB, budget.held("r0"));
        }
        assertEquals(attached, budget.held("r0"));
        // An attach that fails after reserving (its meta data unreadable) leaves nothing held.
        RuntimeException failed = assertThrows(RuntimeException.class, () -> {
            try (HeapBudget.Change attach = budget.change("r1", 512 * GIB, MAX_BUFFERS)) {
                throw new IllegalStateException("no meta data");
            }
        });
        assertEquals("no meta data", failed.getMessage());
        assertEquals(0, budget.held("r1"));
        assertEquals(Optional.empty(), budget.reserve("r2", 512 * GIB, MAX_BUFFERS), "r1's room is free");
        budget.release("r2");
        try (HeapBudget.Change resize = budget.change("r0", 512 * GIB, MAX_BUFFERS)) {
            resize.keep();
        }
        assertEquals(20 * MIB, budget.held("r0"));
        HeapBudget.NoRoom noRoom = assertThrows(HeapBudget.NoRoom.class, () -> budget.change("r1", 512 * GIB,
                MAX_BUFFERS));
        assertTrue(noRoom.getMessage().startsWith("this 524288 MiB volume needs up to 20 MiB"), noRoom.getMessage());
        assertEquals(0, budget.held("r1"), "a refused change holds nothing");
    }

    @Test
    void theSuggestedXmxLeavesEnoughHeapUnderTheSerialCollector() {
        // JDK 25: 185.625 MiB usable of -Xmx192m, 247.5 of 256
        String refusal = new HeapBudget(SERIAL_USABLE_OF_128M, 128 * MIB).reserve("r0", 2816 * GIB, MAX_BUFFERS)
                .orElseThrow();
        assertTrue(refusal.endsWith("needs up to 92 MiB of heap (88 MiB of bitmap, 32 MiB per TiB, and 4 MiB of "
                + "resync data for max-buffers 2048), other attached volumes hold 0 MiB, and the daemon's heap is 124 "
                + "MiB usable of -Xmx128m with 96 MiB kept for the rest; start the daemon with a larger heap, e.g. "
                + "TANDEM_JAVA_OPTS=-Xmx256m"), refusal);
        assertTrue(new HeapBudget(185 * MIB + 640 * 1024, 192 * MIB).reserve("r0", 2816 * GIB, MAX_BUFFERS).isPresent(),
                "-Xmx192m, enough for G1, is not for the serial collector");
        assertEquals(Optional.empty(), new HeapBudget(247 * MIB + 512 * 1024, 256 * MIB)
                .reserve("r0", 2816 * GIB, MAX_BUFFERS));
    }

    @Test
    void aFailedChangeLeavesWhatHappenedMeanwhileAlone() throws HeapBudget.NoRoom {
        HeapBudget budget = new HeapBudget(128 * MIB, 128 * MIB);
        assertEquals(Optional.empty(), budget.reserve("r0", 64 * GIB, MAX_BUFFERS));
        // A resize waits for its peer while a detach runs: when the resize fails, the detached volume stays released.
        try (HeapBudget.Change resize = budget.change("r0", 512 * GIB, MAX_BUFFERS)) {
            budget.release("r0");
        }
        assertEquals(0, budget.held("r0"));
        // Or an adjust raises max-buffers meanwhile (kept at once): the failed resize does not put the old figure back.
        assertEquals(Optional.empty(), budget.reserve("r0", 64 * GIB, MAX_BUFFERS));
        try (HeapBudget.Change resize = budget.change("r0", 512 * GIB, MAX_BUFFERS)) {
            budget.change("r0", 64 * GIB, 4 * MAX_BUFFERS).keep();
        }
        assertEquals(2 * MIB + 16 * MIB, budget.held("r0"));
    }
}
