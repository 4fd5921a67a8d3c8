package uk.e42.tandem.peer;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import uk.e42.tandem.node.HostPort;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.Hello;

/**
 * The connection management of one resource, as DRBD's receiver does it: listen on our own
 * {@code address}; while WFConnection, dial the peer's every {@code connect-int}; run the handshake
 * on whichever connection stands; after a network failure start over, after a refusal that
 * retrying cannot fix (authentication, incompatible settings) stay StandAlone.
 *
 * <p><b>Exactly one connection.</b> Both nodes dial, so two connections can cross. The rule: the
 * connection dialed by the node whose name sorts first (String order of the {@code on HOST} names)
 * wins. That node refuses the other's connection while its own attempt or connection is alive
 * ("crossed connection"); the other node gives up its own attempt and accepts. A node that is
 * dialed while it believes it is connected takes the new connection if the dialer wins the rule
 * (the dialer lost its old one), and otherwise keeps its own until liveness checks end it.
 *
 * <p>All state lives on the resource's single-threaded executor; the public methods may be called
 * from any thread.
 */
public final class PeerConnector implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PeerConnector.class);

    /** The two ends of the resource's connection, from drbd.conf. */
    public record Endpoints(String resource, String myNode, HostPort myAddress, String peerNode,
            HostPort peerAddress) {

        public Endpoints {
            if (myNode.equals(peerNode)) {
                throw new IllegalArgumentException("resource " + resource + ": this node and its peer are both named '"
                        + myNode + "'; each `on HOST` section needs its own host name");
            }
        }

        /** Whether connections dialed by this node win crossed connects. */
        boolean myDialWins() {
            return myNode.compareTo(peerNode) < 0;
        }
    }

    /** Hears about the connection; called on the executor. */
    public interface Listener {

        /** A state change: WFConnection, WFReportParams, Connected, StandAlone, or why a connection ended. */
        void stateChanged(ConnState state, String reason);

        /** The handshake succeeded; returns who receives the replication traffic. */
        PeerSession established(PeerConnection connection, HandshakeOutcome.Connected outcome);
    }

    private final Endpoints endpoints;
    private final NetOptions net;
    private final LinkSecurity security;
    private final Supplier<DeviceReport> device;
    private final HandshakeDecider decider;
    private final ScheduledExecutorService executor;
    private final Listener listener;
    private final SecureRandom random = new SecureRandom();
    private final GrpcPeerServer server;
    private final String logPrefix;

    private volatile HandshakeConfig handshakeConfig;
    private volatile Thread executorThread;
    private volatile ConnState state = ConnState.CONN_STAND_ALONE;
    private GrpcDial dial;
    private ScheduledFuture<?> nextDial;
    private PeerConnection connection;
    private boolean connectionDialedByMe;
    private boolean closed;

    /**
     * @param executor single-threaded: owns all connection state of this resource
     * @param device   this node's report, taken at each handshake
     */
    public PeerConnector(Endpoints endpoints, NetOptions net, LinkSecurity security, HandshakeConfig handshakeConfig,
            Supplier<DeviceReport> device, HandshakeDecider decider, ScheduledExecutorService executor,
            Listener listener) {
        this.endpoints = endpoints;
        this.net = net;
        this.security = security;
        this.handshakeConfig = handshakeConfig;
        this.device = device;
        this.decider = decider;
        this.executor = executor;
        this.listener = listener;
        this.logPrefix = endpoints.resource() + " " + endpoints.peerNode();
        this.server = new GrpcPeerServer(endpoints.myAddress(), security, executor, net, new Acceptance());
        executor.execute(() -> executorThread = Thread.currentThread());
    }

    /**
     * Binds the listener and starts connecting ({@code drbdadm up}/{@code connect}).
     *
     * @throws IOException naming the address when it cannot be bound
     */
    public void start() throws IOException {
        server.start();
        LOG.infof("%s: listening on %s", logPrefix, endpoints.myAddress());
        connect();
    }

    /** StandAlone → WFConnection: start dialing and accepting. No-op when already connecting or connected. */
    public void connect() {
        executor.execute(() -> {
            if (closed || state != ConnState.CONN_STAND_ALONE) {
                return;
            }
            enterWfConnection("connect");
        });
    }

    /**
     * The settings for the next handshakes, e.g. with the one-shot discard-my-data of
     * {@code connect --discard-my-data}, or without it again after it was used.
     */
    public void useHandshakeConfig(HandshakeConfig config) {
        handshakeConfig = config;
    }

    /** Ends the connection and stops connecting ({@code drbdadm disconnect}): StandAlone. */
    public void disconnect() {
        executor.execute(() -> {
            if (closed) {
                return;
            }
            cancelDialing("disconnect");
            if (connection != null) {
                connection.close("disconnect");
                connection = null;
            }
            changeState(ConnState.CONN_STAND_ALONE, "disconnect");
        });
    }

    public ConnState state() {
        return state;
    }

    /** The connection, once established. Call on the executor. */
    public Optional<PeerConnection> connection() {
        return connection != null && connection.outcome() != null ? Optional.of(connection) : Optional.empty();
    }

    /** Stops listening and dialing and drops the connection; waits for that on the executor. */
    @Override
    public void close() {
        Runnable stop = () -> {
            closed = true;
            cancelDialing("down");
            if (connection != null) {
                connection.close("down");
                connection = null;
            }
            state = ConnState.CONN_STAND_ALONE;
        };
        if (Thread.currentThread() == executorThread) {
            // The resource closes its connector from its own executor (disconnect, down): no waiting on ourselves.
            stop.run();
            server.close();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        executor.execute(() -> {
            stop.run();
            done.complete(null);
        });
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("%s: the resource's executor did not stop the connection: %s", logPrefix, e);
        } finally {
            server.close();
        }
    }

    private void enterWfConnection(String why) {
        changeState(ConnState.CONN_WF_CONNECTION, why);
        dialNow();
    }

    private void dialNow() {
        nextDial = null;
        if (closed || state != ConnState.CONN_WF_CONNECTION || dial != null || connection != null) {
            return;
        }
        Hello hello = Hello.newBuilder()
                .setResource(endpoints.resource())
                .setFromNode(endpoints.myNode())
                .setToNode(endpoints.peerNode())
                .setSession(random.nextLong())
                .build();
        GrpcDial attempt = new GrpcDial(endpoints.peerAddress(), hello, security, executor, net,
                link -> dialed(link, hello), (failureState, reason) -> dialFailed(reason));
        dial = attempt;
        attempt.start();
    }

    private void dialed(GrpcPeerLink link, Hello hello) {
        dial = null;
        if (closed || state != ConnState.CONN_WF_CONNECTION || connection != null) {
            link.close("already connected");
            return;
        }
        LOG.infof("%s: connected to %s (session %x)", logPrefix, link.describe(), hello.getSession());
        adopt(link, true);
    }

    private void dialFailed(String reason) {
        dial = null;
        LOG.debugf("%s: connect attempt failed: %s", logPrefix, reason);
        if (!closed && state == ConnState.CONN_WF_CONNECTION && connection == null && nextDial == null) {
            nextDial = executor.schedule(this::dialNow, net.connectInt().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void cancelDialing(String reason) {
        if (nextDial != null) {
            nextDial.cancel(false);
            nextDial = null;
        }
        if (dial != null) {
            dial.cancel(reason);
            dial = null;
        }
    }

    private void adopt(PeerLink link, boolean dialedByMe) {
        cancelDialing("connected");
        connectionDialedByMe = dialedByMe;
        connection = new PeerConnection(link, executor, net, handshakeConfig, device, decider, new Owner(), logPrefix);
        changeState(ConnState.CONN_WF_REPORT_PARAMS, "connection with " + link.describe());
        connection.start();
    }

    private void changeState(ConnState next, String why) {
        if (state == next) {
            return;
        }
        LOG.infof("%s: conn( %s -> %s ) %s", logPrefix, DrbdNames.of(state), DrbdNames.of(next), why);
        state = next;
        listener.stateChanged(next, why);
    }

    private final class Owner implements PeerConnection.Owner {

        @Override
        public PeerSession established(PeerConnection established, HandshakeOutcome.Connected outcome) {
            changeState(ConnState.CONN_CONNECTED, outcome.decision());
            return listener.established(established, outcome);
        }

        @Override
        public void ended(PeerConnection ended, ConnState why, String reason, boolean reconnect) {
            if (ended != connection) {
                return;
            }
            connection = null;
            changeState(why, reason);
            if (closed) {
                return;
            }
            if (reconnect) {
                enterWfConnection("reconnect after: " + reason);
            } else {
                changeState(ConnState.CONN_STAND_ALONE, reason);
            }
        }
    }

    private final class Acceptance implements GrpcPeerServer.Acceptor {

        @Override
        public String screen(Hello hello) {
            if (!hello.getResource().equals(endpoints.resource())) {
                return "this address serves resource '" + endpoints.resource() + "', not '" + hello.getResource()
                        + "'";
            }
            if (!hello.getFromNode().equals(endpoints.peerNode())) {
                return "node '" + hello.getFromNode() + "' is not the peer of " + endpoints.resource() + " (that is '"
                        + endpoints.peerNode() + "')";
            }
            if (!hello.getToNode().equals(endpoints.myNode())) {
                return "the peer dialed '" + hello.getToNode() + "' but this is '" + endpoints.myNode()
                        + "': check the addresses in drbd.conf";
            }
            return null;
        }

        @Override
        public String accept(Hello hello) {
            if (closed || state == ConnState.CONN_STAND_ALONE) {
                return endpoints.resource() + " is StandAlone on " + endpoints.myNode() + ": not accepting connections";
            }
            if (endpoints.myDialWins()) {
                if (dial != null || (connection != null && connectionDialedByMe)) {
                    return "crossed connection: keeping the one dialed by " + endpoints.myNode();
                }
            } else {
                cancelDialing("crossed connection: the one dialed by " + endpoints.peerNode() + " wins");
            }
            if (connection != null) {
                connection.close("the peer connected anew");
                connection = null;
            }
            return null;
        }

        @Override
        public void adopt(GrpcPeerLink link, Hello hello) {
            LOG.infof("%s: accepted connection from %s (session %x)", logPrefix, link.describe(), hello.getSession());
            PeerConnector.this.adopt(link, false);
        }
    }
}
