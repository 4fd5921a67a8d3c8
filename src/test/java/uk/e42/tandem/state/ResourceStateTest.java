package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ResourceStateTest {

    @Test
    void stateWordLayoutIsDrbds() {
        // Primary/Secondary, Connected, UpToDate/UpToDate: 1 | 2<<2 | 10<<4 | 8<<9 | 8<<13
        ResourceState s = ResourceState.of(Role.PRIMARY, Role.SECONDARY, ConnectionState.CONNECTED,
                DiskState.UP_TO_DATE, DiskState.UP_TO_DATE);
        assertEquals(1 | 2 << 2 | 10 << 4 | 8 << 9 | 8 << 13, s.toWord());
        assertEquals(1 << 20, ResourceState.fromWord(0).withUserIsp(true).toWord() & 1 << 20);
        assertEquals(1 << 22, ResourceState.fromWord(0).withSuspFen(true).toWord() & 1 << 22);
    }

    @Test
    void padBitsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResourceState.fromWord(1 << 23));
        assertEquals("state word 0x00800000 has pad bits 23..31 set; DRBD 8.4 keeps them zero", e.getMessage());
    }

    @Test
    void briefIsDrbdsPrintSt() {
        ResourceState s = ResourceState.of(Role.SECONDARY, Role.PRIMARY, ConnectionState.PAUSED_SYNC_T,
                DiskState.INCONSISTENT, DiskState.UP_TO_DATE).withUserIsp(true).withSuspNod(true);
        assertEquals("{ cs:PausedSyncT ro:Secondary/Primary ds:Inconsistent/UpToDate s--u-N }", s.brief());
    }

    @Property
    void stateWordRoundTrips(@ForAll("states") ResourceState s) {
        assertEquals(s, ResourceState.fromWord(s.toWord()));
    }

    @Provide
    Arbitrary<ResourceState> states() {
        return StateArbitraries.states();
    }
}
