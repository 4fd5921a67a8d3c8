package uk.e42.tandem.peer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import uk.e42.tandem.node.HostPort;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/** A "node" for gRPC loopback tests: one resource's connector, with everything it reported. */
final class GrpcNode implements PeerConnector.Listener, AutoCloseable {

    record StateChange(ConnState state, String reason) {
    }

    record Held(DataPacket packet, InboundBuffer buffer) {
    }

    final String name;
    final HostPort address;
    final ScheduledExecutorService executor;
    final List<StateChange> states = new CopyOnWriteArrayList<>();
    final List<PeerConnection> established = new CopyOnWriteArrayList<>();
    final List<DataPacket> data = new CopyOnWriteArrayList<>();
    final List<ControlPacket> control = new CopyOnWriteArrayList<>();
    /** Data packets whose payload aliases the transport's buffer, with that buffer, unreleased. */
    final List<Held> held = new CopyOnWriteArrayList<>();
    /** Whether aliased packets are kept in {@link #held} instead of being copied into {@link #data}. */
    volatile boolean holdBuffers;
    PeerConnector connector;

    GrpcNode(String name) throws IOException {
        this.name = name;
        this.address = new HostPort("127.0.0.1", freePort());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "peer-" + name));
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    void start(String peerName, HostPort peerAddress, NetOptions net, HandshakeConfig config) throws IOException {
        connector = new PeerConnector(new PeerConnector.Endpoints("r0", name, address, peerName, peerAddress), net,
                LinkSecurity.plaintext(), config, () -> PeerFixtures.report(name.hashCode()),
                views -> HandshakeDecider.Verdict.proceed("Connected"), executor, this);
        connector.start();
    }

    @Override
    public void stateChanged(ConnState state, String reason) {
        states.add(new StateChange(state, reason));
    }

    @Override
    public PeerSession established(PeerConnection connection, HandshakeOutcome.Connected outcome) {
        established.add(connection);
        return new PeerSession() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                if (holdBuffers && buffer != InboundBuffer.NONE) {
                    held.add(new Held(packet, buffer));
                } else {
                    data.add(InboundCopy.of(packet, buffer));
                }
            }

            @Override
            public void onControl(ControlPacket packet) {
                control.add(packet);
            }
        };
    }

    /** The first state change to {@code state} from index {@code from} on, waiting up to 20 s. */
    StateChange awaitState(ConnState state, int from) throws InterruptedException {
        await(() -> states.stream().skip(from).anyMatch(c -> c.state() == state), name + " reaches " + state);
        return states.stream().skip(from).filter(c -> c.state() == state).findFirst().orElseThrow();
    }

    /** Runs on the connector's executor and waits for it. */
    <T> T onExecutor(Callable<T> task) throws Exception {
        return executor.submit(task).get(10, TimeUnit.SECONDS);
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        if (connector != null) {
            connector.close();
        }
        executor.shutdownNow();
    }
}
