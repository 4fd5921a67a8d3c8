package uk.e42.tandem.peer;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * Two nodes connected by gRPC over loopback, each dialing the other through a {@link FaultyTcpProxy},
 * for tests outside this package that need a real link: the first node's established connection and
 * executor, and what the second node received on its data stream.
 */
public final class GrpcLoopbackPair implements AutoCloseable {
    private final GrpcNode node;
    private final GrpcNode peer;
    private final FaultyTcpProxy toNode;
    private final FaultyTcpProxy toPeer;
    /** How many state changes each node had reported when both were Connected. */
    private int nodeConnectedMark;
    private int peerConnectedMark;

    private GrpcLoopbackPair(GrpcNode node, GrpcNode peer, FaultyTcpProxy toNode, FaultyTcpProxy toPeer) {
        this.node = node;
        this.peer = peer;
        this.toNode = toNode;
        this.toPeer = toPeer;
    }

    /** Starts both nodes with the seed's handshake settings and waits until both are Connected. */
    public static GrpcLoopbackPair connect(NetOptions net) throws Exception {
        GrpcNode node = new GrpcNode("alpha");
        GrpcNode peer = new GrpcNode("beta");
        GrpcLoopbackPair pair = new GrpcLoopbackPair(node, peer, FaultyTcpProxy.to(node.address),
                FaultyTcpProxy.to(peer.address));
        node.start("beta", pair.toPeer.address(), net, PeerFixtures.seedConfig());
        peer.start("alpha", pair.toNode.address(), net, PeerFixtures.seedConfig());
        node.awaitState(ConnState.CONN_CONNECTED, 0);
        peer.awaitState(ConnState.CONN_CONNECTED, 0);
        pair.nodeConnectedMark = node.states.size();
        pair.peerConnectedMark = peer.states.size();
        return pair;
    }

    /** The first node's connection to its peer. */
    public PeerConnection connection() {
        return node.established.getFirst();
    }

    /** The first node's executor, its connection's and link's. */
    public ScheduledExecutorService executor() {
        return node.executor;
    }

    /** Data packets the peer received, in order. */
    public List<DataPacket> peerReceived() {
        return peer.data;
    }

    /** Stops forwarding both ways: a peer that stopped reading. */
    public void stall() {
        toNode.stall();
        toPeer.stall();
    }

    public void resume() {
        toNode.resume();
        toPeer.resume();
    }

    /** The first node disconnects ({@code drbdadm disconnect}): its connection ends on its executor. */
    public void disconnect() {
        node.connector.disconnect();
    }

    /** Resets every TCP connection between the two (a network failure). */
    public void cut() {
        toNode.cut();
        toPeer.cut();
    }

    /** Waits until the first node's connection ended, as its connector reports. */
    public void awaitNodeLeftConnected() throws InterruptedException {
        awaitLeftConnected(node, nodeConnectedMark);
    }

    /** Waits until the peer's connection ended, so it receives nothing more. */
    public void awaitPeerLeftConnected() throws InterruptedException {
        awaitLeftConnected(peer, peerConnectedMark);
    }

    private static void awaitLeftConnected(GrpcNode n, int connectedMark) throws InterruptedException {
        GrpcNode.await(() -> n.states.stream().skip(connectedMark).anyMatch(c -> c.state() != ConnState.CONN_CONNECTED),
                n.name + " leaves Connected");
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {node, peer, toNode, toPeer}) {
            c.close();
        }
    }
}
