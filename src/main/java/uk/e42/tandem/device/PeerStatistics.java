package uk.e42.tandem.device;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * A peer device's traffic and acknowledgement latency, kept by the resource across connections.
 * Data bytes count as DRBD's {@code ns}/{@code nr} do: application writes and resync data, their
 * payload only. DRBD's own views (/proc/drbd, {@code status --statistics}, events2) start from zero
 * at every connection; Prometheus counters must never go down, so the totals since the daemon
 * started are kept too. Any thread may count.
 */
final class PeerStatistics {
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private volatile long sentAtConnect;
    private volatile long receivedAtConnect;
    private volatile LongConsumer ackLatency = nanos -> { };

    /** A connection was established: the per-connection figures start again from zero. */
    void connected() {
        sentAtConnect = sent.sum();
        receivedAtConnect = received.sum();
    }

    void sent(long bytes) {
        sent.add(bytes);
    }

    void received(long bytes) {
        received.add(bytes);
    }

    long sentThisConnection() {
        return sent.sum() - sentAtConnect;
    }

    long receivedThisConnection() {
        return received.sum() - receivedAtConnect;
    }

    long sentTotal() {
        return sent.sum();
    }

    long receivedTotal() {
        return received.sum();
    }

    /** A write's time from hand-over until its protocol's condition (A: link took it; B: RecvAck; C: WriteAck). */
    void acknowledged(long nanos) {
        ackLatency.accept(nanos);
    }

    void onAckLatency(LongConsumer listener) {
        ackLatency = listener;
    }
}
