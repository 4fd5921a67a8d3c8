package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.state.States.st;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DiskAttachTest {

    private static DiskAttach.MetaDataFlags flags(String words) {
        return new DiskAttach.MetaDataFlags(words.contains("consistent"), words.contains("was-up-to-date"),
                words.contains("peer-outdated"), words.contains("primary-ind"), words.contains("crashed-primary"),
                words.contains("full-sync"), words.contains("al-disabled"));
    }

    @ParameterizedTest(name = "[{index}] {0} fencing {1} -> {2}/{3}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                          | dont-care            | Inconsistent | DUnknown
            consistent                                  | dont-care            | Outdated     | DUnknown
            consistent was-up-to-date                   | dont-care            | UpToDate     | DUnknown
            consistent was-up-to-date                   | resource-only        | Consistent   | DUnknown
            consistent was-up-to-date peer-outdated     | resource-only        | UpToDate     | Outdated
            consistent was-up-to-date peer-outdated     | resource-and-stonith | UpToDate     | Outdated
            consistent peer-outdated                    | dont-care            | Outdated     | Outdated
            was-up-to-date                              | dont-care            | Inconsistent | DUnknown
            """)
    void diskStateFromMetaDataFlags(String md, String fencing, String disk, String pdsk) {
        DiskAttach.Outcome o = DiskAttach.attach(st("Secondary/Unknown StandAlone Diskless/DUnknown"), flags(md),
                Fencing.fromConfigName(fencing));
        assertEquals(DiskState.fromDrbdName(disk), o.state().disk());
        assertEquals(DiskState.fromDrbdName(pdsk), o.state().pdsk());
        assertFalse(o.negotiating());
    }

    @Test
    void seedRebootedPrimaryMayPromoteAtOnce() {
        DiskAttach.Outcome o = DiskAttach.attach(st("Secondary/Unknown StandAlone Diskless/DUnknown"),
                flags("consistent was-up-to-date"), Fencing.DONT_CARE);
        ResourceState promoted = o.state().withRole(Role.PRIMARY);
        assertTrue(StateRules.isValidState(promoted, StateContext.DEFAULT).isSuccess());
    }

    @Test
    void attachWhileConnectedNegotiatesFirst() {
        DiskAttach.Outcome o = DiskAttach.attach(st("Secondary/Primary Connected Diskless/UpToDate"),
                flags("consistent"), Fencing.DONT_CARE);
        assertEquals(st("Secondary/Primary Connected Negotiating/UpToDate"), o.state());
        assertEquals(DiskState.OUTDATED, o.pendingDisk());
        assertEquals(DiskState.UP_TO_DATE, o.pendingPdsk());
    }

    @Test
    void crashedPrimaryAndFullSync() {
        ResourceState diskless = st("Secondary/Unknown StandAlone Diskless/DUnknown");
        DiskAttach.Outcome primaryInd = DiskAttach.attach(diskless, flags("consistent primary-ind"), Fencing.DONT_CARE);
        assertTrue(primaryInd.crashedPrimary());
        assertFalse(primaryInd.setAllBits());
        assertTrue(DiskAttach.attach(diskless, flags("consistent primary-ind al-disabled"), Fencing.DONT_CARE).setAllBits());
        assertTrue(DiskAttach.attach(diskless, flags("full-sync"), Fencing.DONT_CARE).setAllBits());
        assertTrue(DiskAttach.attach(diskless, flags("crashed-primary"), Fencing.DONT_CARE).crashedPrimary());
        // A Primary that lost its disk and froze (on-no-data-accessible suspend-io) did not crash.
        DiskAttach.Outcome frozen = DiskAttach.attach(st("Primary/Unknown StandAlone Diskless/DUnknown susp_nod"),
                flags("consistent was-up-to-date primary-ind"), Fencing.DONT_CARE);
        assertFalse(frozen.crashedPrimary());
        assertNull(frozen.pendingDisk());
    }
}
