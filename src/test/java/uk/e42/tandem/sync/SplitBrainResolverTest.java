package uk.e42.tandem.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.e42.tandem.state.Role;

/**
 * The after-sb policy matrices: two nodes, rosaria (A) and paimon (B), each deciding from its own
 * view. A node is written {@code wasPrimary changes role [no-demote]}: bit 0 of its bitmap UUID
 * (1 = its diverging generation began on a Primary), its set bitmap bits, its role now, and
 * whether a demotion would fail. {@code rc} names the node holding RESOLVE_CONFLICTS (it loses ties).
 * Expected: A's and B's result (1 = sync from me, -1 = I am the victim, -100 = disconnect), handlers
 * ({@code node:handler}) and who gave up the Primary role.
 */
class SplitBrainResolverTest {

    record Node(boolean wasPrimary, long changes, Role role, boolean canDemote) {
        static Node parse(String text) {
            String[] f = text.trim().split("\\s+");
            return new Node(f[0].equals("1"), Long.parseLong(f[1]), Role.fromDrbdName(f[2]),
                    !(f.length > 3 && f[3].equals("no-demote")));
        }
    }

    private static SplitBrainResolver.Policies policies(String p0, String p1, String p2, String node) {
        return new SplitBrainResolver.Policies(AfterSbPolicy.fromConfig(p0, node), AfterSbPolicy.fromConfig(p1, node),
                AfterSbPolicy.fromConfig(p2, node));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            0pri disconnect                                 | disconnect              | disconnect             | disconnect | 1 5 Secondary | 0 3 Secondary | A | -100 -100 | | 
            0pri younger primary: A's generation is older   | discard-younger-primary | disconnect             | disconnect | 0 5 Secondary | 1 3 Secondary | A | -1 1      | | 
            0pri younger primary: B's generation is older   | discard-younger-primary | disconnect             | disconnect | 1 5 Secondary | 0 3 Secondary | A | 1 -1      | | 
            0pri younger primary, undecided, A wrote nothing | discard-younger-primary | disconnect            | disconnect | 1 0 Secondary | 1 7 Secondary | A | -1 1      | | 
            0pri younger primary, undecided, least changes  | discard-younger-primary | disconnect             | disconnect | 0 2 Secondary | 0 9 Secondary | B | -1 1      | | 
            0pri older primary                              | discard-older-primary   | disconnect             | disconnect | 0 5 Secondary | 1 3 Secondary | A | 1 -1      | | 
            0pri older primary, undecided, nothing written  | discard-older-primary   | disconnect             | disconnect | 1 0 Secondary | 1 0 Secondary | A | -1 1      | | 
            0pri zero changes: A wrote nothing              | discard-zero-changes    | disconnect             | disconnect | 0 0 Secondary | 0 4 Secondary | A | -1 1      | | 
            0pri zero changes: nobody wrote, B has rc       | discard-zero-changes    | disconnect             | disconnect | 0 0 Secondary | 0 0 Secondary | B | 1 -1      | | 
            0pri zero changes: both wrote (seed)            | discard-zero-changes    | discard-secondary      | disconnect | 0 3 Secondary | 0 4 Secondary | A | -100 -100 | | 
            0pri least changes: B wrote less                | discard-least-changes   | disconnect             | disconnect | 0 10 Secondary | 0 3 Secondary | A | 1 -1     | | 
            0pri least changes: tie, A has rc               | discard-least-changes   | disconnect             | disconnect | 0 5 Secondary | 0 5 Secondary | A | -1 1      | | 
            0pri discard-node-rosaria                       | discard-node-rosaria    | disconnect             | disconnect | 0 9 Secondary | 0 1 Secondary | A | -1 1      | | 
            0pri discard-node-paimon                        | discard-node-paimon     | disconnect             | disconnect | 0 1 Secondary | 0 9 Secondary | A | 1 -1      | | 
            0pri with a 1pri-only value                     | consensus               | disconnect             | disconnect | 0 0 Secondary | 0 4 Secondary | A | -100 -100 | | 
            1pri disconnect                                 | discard-zero-changes    | disconnect             | disconnect | 0 5 Primary   | 0 0 Secondary | A | -100 -100 | | 
            1pri discard-secondary (seed)                   | disconnect              | discard-secondary      | disconnect | 0 1 Primary   | 0 9 Secondary | A | 1 -1      | | 
            1pri discard-secondary, B is Primary            | disconnect              | discard-secondary      | disconnect | 0 9 Secondary | 0 1 Primary   | A | -1 1      | | 
            1pri consensus: 0pri sacrifices the Secondary   | discard-zero-changes    | consensus              | disconnect | 0 5 Primary   | 0 0 Secondary | A | 1 -1      | | 
            1pri consensus: 0pri would sacrifice the Primary | discard-zero-changes   | consensus              | disconnect | 0 0 Primary   | 0 5 Secondary | A | -100 -100 | | 
            1pri violently-as0p sacrifices the Primary      | discard-zero-changes    | violently-as0p         | disconnect | 0 0 Primary   | 0 5 Secondary | A | -1 1      | | 
            1pri call-pri-lost-after-sb, Primary demotes    | discard-zero-changes    | call-pri-lost-after-sb | disconnect | 0 0 Primary   | 0 5 Secondary | A | -1 1      | | A
            1pri call-pri-lost-after-sb, Primary is in use  | discard-zero-changes    | call-pri-lost-after-sb | disconnect | 0 0 Primary no-demote | 0 5 Secondary | A | -100 1 | A:pri-lost-after-sb | 
            1pri call-pri-lost-after-sb, Secondary loses    | discard-zero-changes    | call-pri-lost-after-sb | disconnect | 0 5 Primary   | 0 0 Secondary | A | 1 -1      | | 
            1pri with a 0pri-only value                     | disconnect              | discard-least-changes  | disconnect | 0 5 Primary   | 0 0 Secondary | A | -100 -100 | | 
            2pri disconnect (seed)                          | discard-zero-changes    | discard-secondary      | disconnect | 0 5 Primary   | 0 0 Primary   | A | -100 -100 | | 
            2pri violently-as0p                             | discard-least-changes   | disconnect             | violently-as0p | 0 9 Primary | 0 2 Primary | A | 1 -1    | | 
            2pri call-pri-lost-after-sb, loser demotes      | discard-least-changes   | disconnect             | call-pri-lost-after-sb | 0 9 Primary | 0 2 Primary | A | 1 -1 | | B
            2pri call-pri-lost-after-sb, loser is in use    | discard-least-changes   | disconnect             | call-pri-lost-after-sb | 0 9 Primary | 0 2 Primary no-demote | A | 1 -100 | B:pri-lost-after-sb | 
            2pri with a 1pri-only value                     | disconnect              | disconnect             | consensus  | 0 9 Primary   | 0 2 Primary   | A | -100 -100 | | 
            """)
    void matrix(String name, String p0, String p1, String p2, String a, String b, String rc, String expected,
                String expectedHandlers, String gaveUp) {
        Node na = Node.parse(a);
        Node nb = Node.parse(b);
        SplitBrainResolver.View viewA = new SplitBrainResolver.View(na.wasPrimary(), nb.wasPrimary(), na.changes(),
                nb.changes(), na.role(), nb.role(), rc.equals("A"), na.canDemote());
        SplitBrainResolver.View viewB = viewA.mirrored(nb.canDemote());
        SplitBrainResolver.Recovery ra = SplitBrainResolver.recover(policies(p0, p1, p2, "rosaria"), viewA);
        SplitBrainResolver.Recovery rb = SplitBrainResolver.recover(policies(p0, p1, p2, "paimon"), viewB);

        assertEquals(expected, ra.hg() + " " + rb.hg(), name);
        List<String> handlers = new ArrayList<>();
        ra.handlers().forEach(h -> handlers.add("A:" + h));
        rb.handlers().forEach(h -> handlers.add("B:" + h));
        assertEquals(expectedHandlers == null ? "" : expectedHandlers, String.join(" ", handlers), name);
        String demoted = (ra.gaveUpPrimary() ? "A" : "") + (rb.gaveUpPrimary() ? "B" : "");
        assertEquals(gaveUp == null ? "" : gaveUp, demoted, name);
        if (ra.resolved() && rb.resolved()) {
            assertEquals(ra.hg(), -rb.hg(), "both nodes pick the same winner: " + name);
        }
    }

    @Test
    void configurationErrorsAndFallThroughAreLoggedInDrbdsWords() {
        SplitBrainResolver.View v = new SplitBrainResolver.View(false, false, 3, 4, Role.SECONDARY, Role.SECONDARY,
                false, true);
        SplitBrainResolver.Recovery err = SplitBrainResolver.recover(new SplitBrainResolver.Policies(
                AfterSbPolicy.CONSENSUS, AfterSbPolicy.DISCONNECT, AfterSbPolicy.DISCONNECT), v);
        assertEquals(List.of("Configuration error."), err.log());
        SplitBrainResolver.Recovery fall = SplitBrainResolver.recover(new SplitBrainResolver.Policies(
                AfterSbPolicy.DISCARD_OLDER_PRIMARY, AfterSbPolicy.DISCONNECT, AfterSbPolicy.DISCONNECT), v);
        assertEquals(List.of("Discard younger/older primary did not find a decision", "Using discard-least-changes instead"),
                fall.log());
        assertEquals(-1, fall.hg());
        assertEquals(AfterSbPolicy.DISCARD_OLDER_PRIMARY, fall.policy());
        assertEquals(0, fall.primaries());
    }

    @Test
    void policyKeywords() {
        assertEquals(AfterSbPolicy.DISCARD_LOCAL, AfterSbPolicy.fromConfig("discard-node-paimon", "paimon"));
        assertEquals(AfterSbPolicy.DISCARD_REMOTE, AfterSbPolicy.fromConfig("discard-node-paimon", "rosaria"));
        assertEquals(AfterSbPolicy.DISCARD_REMOTE, AfterSbPolicy.DISCARD_LOCAL.asSeenByPeer());
        assertEquals(AfterSbPolicy.CONSENSUS, AfterSbPolicy.CONSENSUS.asSeenByPeer());
        assertEquals(9, AfterSbPolicy.CALL_PRI_LOST_AFTER_SB.wireValue());
        assertEquals(10, RrConflict.VIOLENTLY.wireValue());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AfterSbPolicy.fromConfig("discard-youngest-primary", "paimon"));
        assertEquals("'discard-youngest-primary' is not an after-sb policy; expected disconnect, discard-younger-primary,"
                + " discard-older-primary, discard-zero-changes, discard-least-changes, discard-node-HOSTNAME, consensus,"
                + " discard-secondary, call-pri-lost-after-sb or violently-as0p", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AfterSbPolicy.fromConfig("discard-node-", "paimon"));
    }
}
