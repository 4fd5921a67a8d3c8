package uk.e42.tandem.peer;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/** One side of an in-memory peer test: its executor, and what its connection reported. */
final class TestNode implements PeerConnection.Owner, AutoCloseable {

    record Ended(ConnState state, String reason, boolean reconnect) {
    }

    final String name;
    final ScheduledExecutorService executor;
    final CompletableFuture<HandshakeOutcome.Connected> connected = new CompletableFuture<>();
    final CompletableFuture<Ended> ended = new CompletableFuture<>();
    final List<DataPacket> data = new CopyOnWriteArrayList<>();
    final List<ControlPacket> control = new CopyOnWriteArrayList<>();

    TestNode(String name) {
        this.name = name;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "peer-test-" + name));
    }

    @Override
    public PeerSession established(PeerConnection connection, HandshakeOutcome.Connected outcome) {
        connected.complete(outcome);
        return new PeerSession() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                data.add(InboundCopy.of(packet, buffer));
            }

            @Override
            public void onControl(ControlPacket packet) {
                control.add(packet);
            }
        };
    }

    @Override
    public void ended(PeerConnection connection, ConnState state, String reason, boolean reconnect) {
        ended.complete(new Ended(state, reason, reconnect));
    }

    Ended awaitEnded() throws Exception {
        return ended.get(10, TimeUnit.SECONDS);
    }

    HandshakeOutcome.Connected awaitConnected() throws Exception {
        return connected.get(10, TimeUnit.SECONDS);
    }

    /** Runs {@code task} on the node's executor and waits for it. */
    void onExecutor(Runnable task) throws Exception {
        executor.submit(task).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
