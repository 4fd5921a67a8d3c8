package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** DRBD 8.4's UUID rotations, walked through the seed scenario of reference/drbd.md §2.5. */
class GenerationUuidsTest {
    private static final long C1 = 0x1D5A000000000010L;
    private static final long S1 = 0x5EED000000000020L;
    private static final long C2 = 0x2C22000000000030L;

    @Test
    void createMdIsJustCreated() {
        assertEquals(new GenerationUuids(4, 0, 0, 0), GenerationUuids.justCreated());
        assertEquals("0000000000000004:0000000000000000:0000000000000000:0000000000000000",
                GenerationUuids.justCreated().toString());
    }

    @Test
    void seedScenarioFromCreateToReconnectAfterReboot() {
        GenerationUuids rosaria = GenerationUuids.justCreated();
        GenerationUuids paimon = GenerationUuids.justCreated();

        // primary --overwrite-data-of-peer while connected: forced, so a new generation starts.
        rosaria = rosaria.promote(true, true, C1);
        assertEquals(new GenerationUuids(C1 | 1, 4, 0, 0), rosaria);
        GenerationUuids sentAtHandshake = rosaria;

        // Full sync: the source's bitmap UUID is 4, so the sync UUID is random.
        GenerationUuids.SyncStart start = rosaria.syncSourceStart(S1);
        assertEquals(S1, start.syncUuid());
        rosaria = start.uuids();
        assertEquals(new GenerationUuids(C1 | 1, S1, 4, 0), rosaria);
        paimon = paimon.syncTargetStart(start.syncUuid(), false);
        assertEquals(new GenerationUuids(S1, 0, 0, 0), paimon);

        // Resync done: both end at C1:0:S1:4 (bit 0 per role).
        rosaria = rosaria.resyncFinished();
        paimon = paimon.syncTargetFinished(sentAtHandshake, false);
        assertEquals(new GenerationUuids(C1 | 1, 0, S1, 4), rosaria);
        assertEquals(new GenerationUuids(C1, 0, S1, 4), paimon);

        // Reboot: rosaria is promoted while paimon is still down, so writes go to a new generation.
        rosaria = rosaria.demote().promote(false, false, C2);
        assertEquals(new GenerationUuids(C2 | 1, C1, S1, 4), rosaria);
        // On reconnect rosaria's bitmap UUID equals paimon's current (rule 70): a bitmap-based resync.
        assertEquals(paimon.currentMasked(), rosaria.bitmap() & ~1L);

        // Bitmap-based resync start uses bitmap + UUID_NEW_BM_OFFSET, not random bits.
        GenerationUuids.SyncStart second = rosaria.syncSourceStart(0xBAD);
        assertEquals(C1 + GenerationUuids.UUID_NEW_BM_OFFSET, second.syncUuid());
        assertEquals(new GenerationUuids(C2 | 1, C1 + GenerationUuids.UUID_NEW_BM_OFFSET, C1, S1), second.uuids());
    }

    @Test
    void promotionWhileConnectedKeepsTheGeneration() {
        GenerationUuids g = new GenerationUuids(C1, 0, S1, 4);
        assertEquals(new GenerationUuids(C1 | 1, 0, S1, 4), g.promote(true, false, C2));
        GenerationUuids withBitmap = new GenerationUuids(C2, C1, S1, 4);
        assertEquals(new GenerationUuids(C2 | 1, C1, S1, 4), withBitmap.promote(false, false, 0x77));
    }

    @Test
    void peerLostStartsAGenerationOnlyWithoutBitmap() {
        GenerationUuids g = new GenerationUuids(C1 | 1, 0, S1, 4);
        assertEquals(new GenerationUuids(C2 | 1, C1 | 1, S1, 4), g.peerLost(true, C2));
        GenerationUuids open = new GenerationUuids(C2 | 1, C1 | 1, S1, 4);
        assertSame(open, open.peerLost(true, 0x99));
    }

    @Test
    void newCurrentUuidRotatesTheBitmapIntoHistory() {
        GenerationUuids g = new GenerationUuids(C2, C1, S1, 4);
        assertEquals(new GenerationUuids(0x42, C2, C1, S1), g.newCurrentUuid(0x43, false));
        assertEquals(new GenerationUuids(0x43, 4, 0, 0), GenerationUuids.justCreated().newCurrentUuid(0x42, true));
    }

    @Test
    void skipInitialSyncOnBothSides() {
        GenerationUuids a = GenerationUuids.justCreated().skipInitialSync(C1, false);
        assertEquals(new GenerationUuids(C1, 0, 0, 0), a);
        GenerationUuids b = GenerationUuids.justCreated().adoptSkippedInitialSync(a.current(), false);
        assertEquals(a, b);
    }

    @Test
    void resyncFinishedWithoutBitmapChangesNothing() {
        GenerationUuids g = new GenerationUuids(C1, 0, S1, 4);
        assertSame(g, g.resyncFinished());
    }

    @Test
    void parseRoundTripsAndRejectsGarbage() {
        GenerationUuids g = new GenerationUuids(-1L, C1, 0, 4);
        assertEquals(g, GenerationUuids.parse(g.toString()));
        assertEquals(g, GenerationUuids.parse(g.toString().toLowerCase()));
        assertThrows(IllegalArgumentException.class, () -> GenerationUuids.parse("4:0:0"));
        assertThrows(IllegalArgumentException.class, () -> GenerationUuids.parse("4:0:0:xyz"));
    }
}
