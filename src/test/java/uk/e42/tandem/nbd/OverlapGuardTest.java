package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class OverlapGuardTest {
    private static NbdRequest req(int type, long offset, long length) {
        return new NbdRequest(0, type, 0, offset, length, null);
    }

    @Test
    void overlappingWriteWaitsForTheEarlierOneAndStartsWhenItCompletes() {
        OverlapGuard g = new OverlapGuard();
        OverlapGuard.Ticket first = g.admit(req(Nbd.CMD_WRITE, 0, 4096));
        OverlapGuard.Ticket second = g.admit(req(Nbd.CMD_WRITE, 2048, 4096));
        OverlapGuard.Ticket elsewhere = g.admit(req(Nbd.CMD_WRITE, 8192, 4096));
        assertTrue(OverlapGuard.started(first));
        assertFalse(OverlapGuard.started(second));
        assertTrue(OverlapGuard.started(elsewhere));
        assertEquals(List.of(second), g.complete(first));
    }

    @Test
    void readsShareAndFlushWaitsForNothing() {
        OverlapGuard g = new OverlapGuard();
        g.admit(req(Nbd.CMD_READ, 0, 4096));
        assertTrue(OverlapGuard.started(g.admit(req(Nbd.CMD_READ, 0, 4096))));
        assertFalse(OverlapGuard.started(g.admit(req(Nbd.CMD_TRIM, 0, 512))));
        assertTrue(OverlapGuard.started(g.admit(req(Nbd.CMD_FLUSH, 0, 0))));
    }

    /**
     * Whatever the arrival and completion order: two conflicting requests never run at once, and
     * of two conflicting requests the earlier one starts first.
     */
    @Property(tries = 300)
    void conflictingRequestsNeverRunTogetherAndKeepArrivalOrder(@ForAll long seed) {
        Random random = new Random(seed);
        OverlapGuard g = new OverlapGuard();
        List<OverlapGuard.Ticket> running = new ArrayList<>();
        List<NbdRequest> startOrder = new ArrayList<>();
        List<NbdRequest> arrival = new ArrayList<>();
        int[] types = {Nbd.CMD_READ, Nbd.CMD_WRITE, Nbd.CMD_TRIM, Nbd.CMD_WRITE_ZEROES, Nbd.CMD_FLUSH};
        for (int step = 0; step < 200; step++) {
            if (running.isEmpty() || random.nextInt(3) > 0) {
                int type = types[random.nextInt(types.length)];
                NbdRequest r = type == Nbd.CMD_FLUSH ? req(type, 0, 0) : req(type, random.nextInt(16) * 512L,
                        (1 + random.nextInt(4)) * 512L);
                arrival.add(r);
                OverlapGuard.Ticket t = g.admit(r);
                if (OverlapGuard.started(t)) {
                    running.add(t);
                    startOrder.add(r);
                }
            } else {
                OverlapGuard.Ticket done = running.remove(random.nextInt(running.size()));
                for (OverlapGuard.Ticket next : g.complete(done)) {
                    running.add(next);
                    startOrder.add(next.request);
                }
            }
            for (int i = 0; i < running.size(); i++) {
                for (int j = i + 1; j < running.size(); j++) {
                    assertFalse(OverlapGuard.conflicts(running.get(i).request, running.get(j).request));
                }
            }
        }
        for (int i = 0; i < startOrder.size(); i++) {
            for (int j = i + 1; j < startOrder.size(); j++) {
                NbdRequest a = startOrder.get(i);
                NbdRequest b = startOrder.get(j);
                if (OverlapGuard.conflicts(a, b)) {
                    assertTrue(indexOf(arrival, a) < indexOf(arrival, b), "conflicting requests started out of order");
                }
            }
        }
    }

    private static int indexOf(List<NbdRequest> list, NbdRequest r) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == r) {
                return i;
            }
        }
        throw new AssertionError("not admitted");
    }
}
