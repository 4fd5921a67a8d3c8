package uk.e42.tandem.nbd;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps one connection's overlapping requests in arrival order while everything else runs in
 * parallel: a request that touches bytes an earlier, unfinished request touches, where at least one
 * of the two writes, waits for it. Two reads never wait for each other; FLUSH waits for nothing, since
 * it only has to cover writes already answered. Not thread-safe: Transmission uses it under its lock only.
 */
final class OverlapGuard {

    /** A request the guard is tracking, from admission to completion. */
    static final class Ticket {
        final NbdRequest request;
        private boolean started;

        private Ticket(NbdRequest request) {
            this.request = request;
        }
    }

    private final List<Ticket> tickets = new ArrayList<>();

    /** Tracks {@code request}; the ticket is started (may run now) unless an earlier request conflicts. */
    Ticket admit(NbdRequest request) {
        Ticket ticket = new Ticket(request);
        ticket.started = tickets.stream().noneMatch(earlier -> conflicts(earlier.request, request));
        tickets.add(ticket);
        return ticket;
    }

    static boolean started(Ticket ticket) {
        return ticket.started;
    }

    /** Forgets a finished request; returns the waiting ones that may run now, marked started, in order. */
    List<Ticket> complete(Ticket done) {
        int index = tickets.indexOf(done);
        if (index < 0) {
            throw new IllegalStateException(done.request.describe() + " completed but was not in flight");
        }
        tickets.remove(index);
        List<Ticket> runnable = new ArrayList<>();
        for (int i = 0; i < tickets.size(); i++) {
            Ticket waiting = tickets.get(i);
            if (!waiting.started && noEarlierConflict(i)) {
                waiting.started = true;
                runnable.add(waiting);
            }
        }
        return runnable;
    }

    int size() {
        return tickets.size();
    }

    private boolean noEarlierConflict(int index) {
        NbdRequest request = tickets.get(index).request;
        for (int i = 0; i < index; i++) {
            if (conflicts(tickets.get(i).request, request)) {
                return false;
            }
        }
        return true;
    }

    static boolean conflicts(NbdRequest a, NbdRequest b) {
        if (!hasRange(a) || !hasRange(b) || !(a.writes() || b.writes())) {
            return false;
        }
        return a.offset() < b.end() && b.offset() < a.end();
    }

    private static boolean hasRange(NbdRequest r) {
        return r.length() > 0 && (r.type() == Nbd.CMD_READ || r.writes());
    }
}
