package uk.e42.tandem.state;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Every combination of the state fields, most of them states DRBD never enters. */
final class StateArbitraries {

    private StateArbitraries() {
    }

    static Arbitrary<ResourceState> states() {
        Arbitrary<Boolean> b = Arbitraries.of(false, true);
        return Combinators.combine(
                Combinators.combine(Arbitraries.of(Role.class), Arbitraries.of(Role.class),
                        Arbitraries.of(ConnectionState.class), Arbitraries.of(DiskState.class),
                        Arbitraries.of(DiskState.class)).as(ResourceState::of),
                b, b, b, b, b, b).as((s, susp, nod, fen, a, p, u) -> s.withSusp(susp).withSuspNod(nod)
                .withSuspFen(fen).withAftrIsp(a).withPeerIsp(p).withUserIsp(u));
    }

    static Arbitrary<StateContext> contexts() {
        Arbitrary<Boolean> b = Arbitraries.of(false, true);
        Arbitrary<StateContext.Negotiation> negotiation = Combinators.combine(
                Arbitraries.of(DiskState.INCONSISTENT, DiskState.OUTDATED, DiskState.CONSISTENT, DiskState.UP_TO_DATE),
                Arbitraries.of(DiskState.DUNKNOWN, DiskState.OUTDATED, DiskState.INCONSISTENT), b)
                .as(StateContext.Negotiation::new).injectNull(0.3);
        return Combinators.combine(b, b, Arbitraries.of(Fencing.class), b, Arbitraries.of(87, 101), b, b, b)
                .as((net, two, fencing, verify, proto, open, otherVol, sent) -> new StateContext(net, two, fencing,
                        verify, proto, open, otherVol, sent, false, null))
                .flatMap(ctx -> Combinators.combine(b, negotiation)
                        .as((nod, n) -> ctx.withOnNoDataSuspendIo(nod).withNegotiation(n)));
    }
}
