package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class StateRulesPropertiesTest {

    @Property(tries = 5000)
    void sanitizeIsIdempotent(@ForAll("states") ResourceState os, @ForAll("states") ResourceState ns,
                              @ForAll("contexts") StateContext ctx) {
        ResourceState once = StateRules.sanitizeState(os, ns, ctx).state();
        assertEquals(once, StateRules.sanitizeState(os, once, ctx).state());
    }

    /**
     * The literal "a valid state stays valid after sanitize" does not hold for arbitrary requests
     * (see StateRulesTest#sanitizeForgetsWhatIsNotKnownWhileDisconnected); what DRBD guarantees is
     * this: from a legal state, an admin request never lands in an illegal or unsanitized one.
     */
    @Property(tries = 5000)
    void softChangesFromALegalStateLandInALegalSanitizedState(@ForAll("states") ResourceState anyOs,
                                                               @ForAll("states") ResourceState requested,
                                                               @ForAll("contexts") StateContext ctx) {
        ResourceState os = StateRules.sanitizeState(anyOs, anyOs, ctx).state();
        Assume.that(StateRules.isValidState(os, ctx).isSuccess());
        StateRules.Outcome o = StateRules.setState(os, requested, ctx, false);
        ResourceState entered = o.applied() ? o.ns() : os;
        assertEquals(StateChangeResult.SS_SUCCESS, StateRules.isValidState(entered, ctx));
        assertEquals(entered, StateRules.sanitizeState(entered, entered, ctx).state());
    }

    @Property(tries = 5000)
    void hardChangesAlwaysLandInASanitizedState(@ForAll("states") ResourceState os,
                                                @ForAll("states") ResourceState requested,
                                                @ForAll("contexts") StateContext ctx) {
        StateRules.Outcome o = StateRules.setState(os, requested, ctx, true);
        Assume.that(o.applied());
        assertEquals(o.ns(), StateRules.sanitizeState(o.ns(), o.ns(), ctx).state());
    }

    @Property(tries = 2000)
    void refusalsAreNeverAppliedAndAlwaysCarryADrbdReason(@ForAll("states") ResourceState os,
                                                          @ForAll("states") ResourceState requested,
                                                          @ForAll("contexts") StateContext ctx) {
        StateRules.Outcome o = StateRules.setState(os, requested, ctx, false);
        if (!o.result().isSuccess()) {
            assertEquals(false, o.applied());
            assertEquals(true, o.result().code() < 0, o.result().failureMessage());
        }
    }

    @Provide
    Arbitrary<ResourceState> states() {
        return StateArbitraries.states();
    }

    @Provide
    Arbitrary<StateContext> contexts() {
        return StateArbitraries.contexts();
    }
}
