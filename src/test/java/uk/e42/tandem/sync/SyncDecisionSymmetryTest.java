package uk.e42.tandem.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import uk.e42.tandem.meta.GenerationUuids;
import uk.e42.tandem.state.DiskState;
import uk.e42.tandem.state.Role;
import uk.e42.tandem.sync.SyncDecision.Handshake;
import uk.e42.tandem.sync.SyncDecision.HandshakeInput;
import uk.e42.tandem.sync.SyncDecision.NodeView;
import uk.e42.tandem.sync.SyncDecision.Outcome;

/**
 * Both nodes run the handshake on mirrored inputs and must agree: if one becomes SyncSource the
 * other becomes SyncTarget with the same kind of sync, or neither syncs, or the connection drops.
 * UUID pairs come from the histories two DRBD nodes can really have (a common generation, then
 * each side may move on while apart; fresh and forced nodes; a lost P_SYNC_UUID; unrelated data),
 * with random UUID values, roles, disks, changes, flags and policies.
 */
class SyncDecisionSymmetryTest {

    record Pair(GenerationUuids a, GenerationUuids b) {
    }

    @Property(tries = 3000)
    void bothNodesAgree(@ForAll("pairs") Pair uuids, @ForAll("sides") Side a, @ForAll("sides") Side b,
                        @ForAll boolean aHoldsResolveConflicts, @ForAll("policies") SyncDecision.Policy policy) {
        NodeView va = a.view(uuids.a());
        NodeView vb = b.view(uuids.b());
        HandshakeInput in = HandshakeInput.of(va, vb, aHoldsResolveConflicts, policy);
        Handshake ha = SyncDecision.handshake(new HandshakeInput(va, vb, aHoldsResolveConflicts, policy,
                in.agreedProtocolVersion(), true, a.canDemote()));
        Handshake hb = SyncDecision.handshake(in.mirrored(b.canDemote()));

        assertEquals(ha.comparison().hg() == SyncDecision.UNRELATED_DATA, hb.comparison().hg() == SyncDecision.UNRELATED_DATA);
        if (ha.outcome() == Outcome.DISCONNECT || hb.outcome() == Outcome.DISCONNECT) {
            return;
        }
        Outcome mirrored = switch (ha.outcome()) {
            case BECOME_SYNC_SOURCE -> Outcome.BECOME_SYNC_TARGET;
            case BECOME_SYNC_TARGET -> Outcome.BECOME_SYNC_SOURCE;
            default -> ha.outcome();
        };
        assertEquals(mirrored, hb.outcome(), () -> String.join("\n", ha.log()) + "\n---\n" + String.join("\n", hb.log()));
        assertEquals(ha.fullSync(), hb.fullSync());
        assertEquals(ha.hg(), -hb.hg());
    }

    record Side(Role role, DiskState disk, long changes, boolean crashedPrimary, boolean discardMyData,
                boolean canDemote) {
        NodeView view(GenerationUuids u) {
            return new NodeView(u, changes, role, disk, disk, crashedPrimary, discardMyData);
        }
    }

    @Provide
    Arbitrary<Side> sides() {
        return Combinators.combine(Arbitraries.of(Role.PRIMARY, Role.SECONDARY),
                Arbitraries.of(DiskState.INCONSISTENT, DiskState.OUTDATED, DiskState.CONSISTENT, DiskState.UP_TO_DATE),
                Arbitraries.longs().between(0, 3), Arbitraries.of(false, true),
                Arbitraries.of(false, false, false, true), Arbitraries.of(false, true)).as(Side::new);
    }

    @Provide
    Arbitrary<SyncDecision.Policy> policies() {
        return Combinators.combine(Arbitraries.of(AfterSbPolicy.class), Arbitraries.of(AfterSbPolicy.class),
                Arbitraries.of(AfterSbPolicy.class), Arbitraries.of(RrConflict.class), Arbitraries.of(false, true))
                .as((p0, p1, p2, rr, asbp) -> new SyncDecision.Policy(new SplitBrainResolver.Policies(
                        p0 == AfterSbPolicy.DISCARD_LOCAL || p0 == AfterSbPolicy.DISCARD_REMOTE ? AfterSbPolicy.DISCONNECT : p0,
                        p1, p2), rr, asbp, false));
    }

    @Provide
    Arbitrary<Pair> pairs() {
        // Six distinct generations (real UUIDs are 64 random bits; bit 0 is a role mark, not identity).
        Arbitrary<List<Long>> distinct = Arbitraries.longs().between(0x100, Long.MAX_VALUE).list().ofSize(6)
                .uniqueElements(u -> u & ~1L);
        Arbitrary<Integer> story = Arbitraries.integers().between(0, 8);
        return Combinators.combine(distinct, story, Arbitraries.of(false, true)).as((u, which, swap) -> {
            long c = u.get(0);
            long h1 = u.get(1);
            long h2 = u.get(2);
            long na = u.get(3);
            long nb = u.get(4);
            GenerationUuids base = new GenerationUuids(c, 0, h1, h2);
            Pair p = switch (which) {
                case 0 -> new Pair(new GenerationUuids(4, 0, 0, 0), new GenerationUuids(4, 0, 0, 0));
                // primary --force on a fresh pair
                case 1 -> new Pair(new GenerationUuids(na | 1, 4, 0, 0), new GenerationUuids(4, 0, 0, 0));
                // a common generation, nobody moved on
                case 2 -> new Pair(base, new GenerationUuids(c | 1, 0, h1, h2));
                // one side moved on while apart
                case 3 -> new Pair(new GenerationUuids(na | 1, c, h1, h2), base);
                // both moved on while apart: split brain
                case 4 -> new Pair(new GenerationUuids(na, c, h1, h2), new GenerationUuids(nb | 1, c | 1, h1, h2));
                // one side two generations ahead (its bitmap went to history): full sync
                case 5 -> new Pair(new GenerationUuids(nb, 0, na, c), base);
                // the source started a resync but its P_SYNC_UUID was lost
                case 6 -> new Pair(new GenerationUuids(na, (c & ~1L) + SyncDecision.UUID_NEW_BM_OFFSET, c, h1), base);
                // only old history in common: ambiguous split brain
                case 7 -> new Pair(new GenerationUuids(na, u.get(5), h1, h2), new GenerationUuids(nb, c, h2, 0));
                default -> new Pair(new GenerationUuids(na, 0, 0, 0), new GenerationUuids(nb, 0, 0, 0));
            };
            return swap ? new Pair(p.b(), p.a()) : p;
        });
    }
}
