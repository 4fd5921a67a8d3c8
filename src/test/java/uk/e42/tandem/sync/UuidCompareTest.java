package uk.e42.tandem.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.e42.tandem.meta.GenerationUuids;
import uk.e42.tandem.state.Role;

/**
 * {@code drbd_uuid_compare}, one row per rule in DRBD's numbering. UUIDs are written like DRBD's
 * log, {@code CURRENT:BITMAP:HISTORY1:HISTORY2} in hex; an odd value carries the Primary bit, which
 * the comparison ignores. Flags: self-crashed, peer-crashed, primary, peer-primary, rc (this node
 * holds RESOLVE_CONFLICTS), proto=N, no-wsame.
 */
class UuidCompareTest {

    static GenerationUuids g(String text) {
        String[] f = text.trim().split(":");
        return new GenerationUuids(Long.parseUnsignedLong(f[0], 16), Long.parseUnsignedLong(f[1], 16),
                Long.parseUnsignedLong(f[2], 16), Long.parseUnsignedLong(f[3], 16));
    }

    static SyncDecision.UuidInput input(String self, String peer, String flags) {
        String f = flags == null ? "" : " " + flags + " ";
        int proto = SyncDecision.PRO_VERSION_MAX;
        int at = f.indexOf(" proto=");
        if (at >= 0) {
            proto = Integer.parseInt(f.substring(at + 7).trim().split(" ")[0]);
        }
        return new SyncDecision.UuidInput(g(self), g(peer), f.contains(" self-crashed "), f.contains(" peer-crashed "),
                f.contains(" primary ") ? Role.PRIMARY : Role.SECONDARY,
                f.contains(" peer-primary ") ? Role.PRIMARY : Role.SECONDARY,
                f.contains(" rc "), proto, !f.contains(" no-wsame "));
    }

    @ParameterizedTest(name = "rule {5}: {0}")
    @CsvSource(delimiter = '|', textBlock = """
            both just created                                  | 4:0:0:0           | 4:0:0:0           |                        | 0     | 10
            I am just created, peer has data                   | 4:0:0:0           | C0:4:0:0          |                        | -2    | 20
            I am zeroed, peer has data                         | 0:0:0:0           | C0:0:0:0          |                        | -2    | 20
            peer is just created, I have data (seed --force)   | C1:4:0:0          | 4:0:0:0           |                        | 2     | 30
            peer missed resync finished, I correct myself      | C0:50:40:30       | C0:0:50:40        |                        | 1     | 34
            I was SyncSource, peer failed to write sync UUID   | C0:50:40:30       | C0:0:70:60        |                        | 1     | 36
            peer missed resync finished, I correct the peer    | C0:0:50:40        | C0:50:40:30       |                        | -1    | 35
            I was SyncTarget, failed to write sync UUID        | C0:0:70:60        | C0:50:40:30       |                        | -1    | 37
            same data, no crash                                | C0:0:40:30        | C1:0:40:30        |                        | 0     | 40
            same data, I crashed as Primary                    | C0:0:40:30        | C0:0:40:30        | self-crashed           | 1     | 40
            same data, peer crashed as Primary                 | C0:0:40:30        | C0:0:40:30        | peer-crashed           | -1    | 40
            both crashed, I hold RESOLVE_CONFLICTS             | C0:0:40:30        | C0:0:40:30        | self-crashed peer-crashed rc | -1 | 40
            both crashed, peer holds RESOLVE_CONFLICTS         | C0:0:40:30        | C0:0:40:30        | self-crashed peer-crashed | 1   | 40
            crash flag and I am Primary now                    | C1:0:40:30        | C0:0:40:30        | peer-crashed primary   | 1     | 41
            crash flag and the peer is Primary now             | C0:0:40:30        | C1:0:40:30        | self-crashed peer-primary | -1 | 41
            crash flag and both Primary now                    | C1:0:40:30        | C1:0:40:30        | self-crashed primary peer-primary | -100 | 41
            crash flag, Primary, peer too old for rule 41      | C1:0:40:30        | C0:0:40:30        | self-crashed primary no-wsame | -66661 | 41
            seed: I am the old Primary the peer moved on from  | C0:0:40:30        | D1:C1:40:30       |                        | -1    | 50
            peer's P_SYNC_UUID lost (protocol 96+)             | C0:0:40:30        | D0:10000000000C0:C0:40 |                    | -1    | 51
            peer's P_SYNC_UUID lost (protocol 95)              | C0:0:40:30        | D0:E0:C0:40       | proto=95               | -1    | 51
            peer moved two generations ahead                   | C0:0:40:30        | E0:0:D0:C0        |                        | -2    | 60
            seed: the peer is my old Primary                   | D1:C1:40:30       | C0:0:40:30        |                        | 1     | 70
            my P_SYNC_UUID lost (protocol 96+)                 | D0:10000000000C0:C0:40 | C0:0:40:30    |                        | 1     | 71
            my P_SYNC_UUID lost (protocol 95)                  | D0:E0:C0:40       | C0:0:40:30        | proto=95               | 1     | 71
            I moved two generations ahead                      | E0:0:D0:C0        | C0:0:40:30        |                        | 2     | 80
            split brain: both moved on from C                  | D1:C0:40:30       | E1:C1:40:30       |                        | 100   | 90
            split brain, ambiguous: common history only        | D0:F0:40:30       | E0:A0:20:40       |                        | -100  | 100
            unrelated data                                     | D0:F0:40:30       | E0:A0:20:10       |                        | -1000 | 100
            protocol 90 cannot fix a missed resync end (DRBD still logs the last rule number set, 30) | C0:50:40:30 | C0:0:50:40 | proto=90 | -1091 | 30
            """)
    void rule(String name, String self, String peer, String flags, int hg, int rule) {
        SyncDecision.UuidComparison c = SyncDecision.uuidCompare(input(self, peer, flags));
        assertEquals(hg, c.hg(), name);
        assertEquals(rule, c.rule(), name);
        assertEquals("uuid_compare()=" + hg + " by rule " + rule, c.log().getLast());
    }

    @Test
    void rule34CorrectsOwnUuids() {
        SyncDecision.UuidComparison c = SyncDecision.uuidCompare(input("C0:50:40:30", "C0:0:50:40", ""));
        assertEquals(g("C0:0:50:40"), c.self());
        assertEquals(g("C0:0:50:40"), c.peer());
        assertEquals("was SyncSource, missed the resync finished event, corrected myself:", c.log().getFirst());
    }

    @Test
    void rule35CorrectsTheCachedPeerUuids() {
        SyncDecision.UuidComparison c = SyncDecision.uuidCompare(input("C0:0:50:40", "C0:50:40:30", ""));
        assertEquals(g("C0:0:50:40"), c.peer());
        assertEquals(g("C0:0:50:40"), c.self());
    }

    @Test
    void rule51UndoesThePeersSyncStartAndRule71UndoesMine() {
        SyncDecision.UuidComparison r51 = SyncDecision.uuidCompare(input("C0:0:40:30", "D0:10000000000C0:C0:40", ""));
        assertEquals(g("D0:C0:40:40"), r51.peer());
        SyncDecision.UuidComparison r71 = SyncDecision.uuidCompare(input("D0:10000000000C0:C0:40", "C0:0:40:30", ""));
        assertEquals(g("D0:C0:40:40"), r71.self());
        assertEquals(r51.hg(), -r71.hg());
    }

    @Test
    void theSeedWalkedThrough() {
        // create-md, up both: 4 against 4, no sync, status shows Established Inconsistent.
        assertEquals(10, SyncDecision.uuidCompare(input("4:0:0:0", "4:0:0:0", "")).rule());
        // primary --overwrite-data-of-peer on rosaria: new current C1, BITMAP := 4.
        SyncDecision.UuidComparison rosaria = SyncDecision.uuidCompare(input("C1:4:0:0", "4:0:0:0", "primary"));
        SyncDecision.UuidComparison paimon = SyncDecision.uuidCompare(input("4:0:0:0", "C1:4:0:0", "peer-primary"));
        assertEquals(2, rosaria.hg());
        assertEquals(-2, paimon.hg());
        // After the resync both hold C1:0:S1:4 and reconnect without a resync.
        assertEquals(0, SyncDecision.uuidCompare(input("C0:0:51:4", "C0:0:51:4", "")).hg());
    }

    @Test
    void bitZeroNeverDecides() {
        for (String self : new String[] {"C0:0:40:30", "C1:0:41:31"}) {
            for (String peer : new String[] {"D0:C0:40:30", "D1:C1:41:30"}) {
                SyncDecision.UuidComparison c = SyncDecision.uuidCompare(input(self, peer, ""));
                assertEquals(-1, c.hg());
                assertEquals(50, c.rule());
            }
        }
    }

    @Test
    void protocolRequirementCodesDecode() {
        int hg = SyncDecision.uuidCompare(input("C1:0:40:30", "C0:0:40:30", "self-crashed primary no-wsame")).hg();
        assertTrue(hg < -0x10000);
        assertEquals(101, -hg & 0xff);
        assertEquals(SyncDecision.DRBD_FF_WSAME, (-hg >> 8) & 0xff);
    }
}
