package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static uk.e42.tandem.state.States.st;

import org.junit.jupiter.api.Test;

class StateChangeTest {

    @Test
    void rendersOnlyChangedFieldsInDrbdOrder() {
        StateChange c = new StateChange(st("Secondary/Unknown WFReportParams UpToDate/DUnknown"),
                st("Primary/Secondary Connected UpToDate/UpToDate"));
        assertEquals("role( Secondary -> Primary ) peer( Unknown -> Secondary ) conn( WFReportParams -> Connected )"
                + " pdsk( DUnknown -> UpToDate )", c.render());
    }

    @Test
    void rendersFlags() {
        StateChange c = new StateChange(st("Primary/Secondary SyncSource UpToDate/Inconsistent"),
                st("Primary/Secondary PausedSyncS UpToDate/Inconsistent user_isp susp_fen"));
        assertEquals("conn( SyncSource -> PausedSyncS ) user_isp( 0 -> 1 ) susp( 0 -> 1 )", c.render());
    }

    @Test
    void emptyWhenNothingChanged() {
        ResourceState s = st("Secondary/Unknown StandAlone Diskless/DUnknown");
        assertEquals("", new StateChange(s, s).render());
    }
}
