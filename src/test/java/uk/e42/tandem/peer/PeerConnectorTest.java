package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.peer.PeerFixtures.config;
import static uk.e42.tandem.peer.PeerFixtures.seedConfig;
import static uk.e42.tandem.peer.PeerFixtures.seedProtocol;
import static uk.e42.tandem.peer.PeerFixtures.seedSync;
import static uk.e42.tandem.peer.PeerFixtures.sha1;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.RepeatedTest;

import com.google.protobuf.ByteString;

import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.AckWanted;
import uk.e42.tandem.peer.v1.BlockAck;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Write;

/** Two nodes in one JVM, each with its own listener, talking gRPC over loopback (and through proxies). */
class PeerConnectorTest {

    /** connect-int 1 s, ping-int 0.3 s, ping-timeout 0.5 s, timeout 1 s, ko-count 4, sndbuf 256 KiB. */
    private static final NetOptions NET = new NetOptions(Duration.ofSeconds(1), Duration.ofMillis(300),
            Duration.ofMillis(500), Duration.ofSeconds(1), 4, 256 << 10);

    private GrpcNode alpha;
    private GrpcNode beta;
    private FaultyTcpProxy toAlpha;
    private FaultyTcpProxy toBeta;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {alpha, beta, toAlpha, toBeta}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private void startDirect(HandshakeConfig alphaConfig, HandshakeConfig betaConfig) throws Exception {
        alpha = new GrpcNode("alpha");
        beta = new GrpcNode("beta");
        startTogether(() -> alpha.start("beta", beta.address, NET, alphaConfig),
                () -> beta.start("alpha", alpha.address, NET, betaConfig));
    }

    private void startThroughProxies() throws Exception {
        alpha = new GrpcNode("alpha");
        beta = new GrpcNode("beta");
        toAlpha = FaultyTcpProxy.to(alpha.address);
        toBeta = FaultyTcpProxy.to(beta.address);
        startTogether(() -> alpha.start("beta", toBeta.address(), NET, seedConfig()),
                () -> beta.start("alpha", toAlpha.address(), NET, seedConfig()));
    }

    private interface Start {
        void run() throws Exception;
    }

    /** Both connectors start at the same instant, so both dial at once. */
    private static void startTogether(Start a, Start b) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean failed = new AtomicBoolean();
        Thread[] threads = new Thread[2];
        Start[] starts = {a, b};
        for (int i = 0; i < 2; i++) {
            Start start = starts[i];
            threads[i] = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    start.run();
                } catch (Exception e) {
                    failed.set(true);
                    throw new IllegalStateException(e);
                }
            });
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(!failed.get(), "a connector failed to start");
    }

    @Test
    void twoNodesConnectHandshakeAndExchangeDataAndAcks() throws Exception {
        startDirect(seedConfig(), seedConfig());
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        beta.awaitState(ConnState.CONN_CONNECTED, 0);

        PeerConnection a = alpha.established.getFirst();
        HandshakeViews views = alpha.onExecutor(() -> a.outcome().views());
        assertEquals("beta".hashCode(), views.peer().device().uuids().getCurrent());
        ByteString block = ByteString.copyFrom(new byte[4096]);
        assertTrue(alpha.onExecutor(() -> a.sendData(DataPacket.newBuilder().setWrite(Write.newBuilder()
                .setSector(8).setBlockId(77).setSeq(1).setAck(AckWanted.ACK_WRITE).setData(block)).build())));
        GrpcNode.await(() -> beta.data.size() == 1, "beta receives the write");
        assertEquals(77, beta.data.getFirst().getWrite().getBlockId());
        PeerConnection b = beta.established.getFirst();
        beta.onExecutor(() -> b.sendControl(ControlPacket.newBuilder().setBlockAck(BlockAck.newBuilder()
                .setKind(AckKind.WRITE_ACK).setSector(8).setSize(4096).setBlockId(77).setSeq(1)).build()));
        GrpcNode.await(() -> alpha.control.size() == 1, "alpha receives the WriteAck");
        assertEquals(AckKind.WRITE_ACK, alpha.control.getFirst().getBlockAck().getKind());
    }

    @RepeatedTest(3)
    void simultaneousConnectsYieldOneConnection() throws Exception {
        startDirect(seedConfig(), seedConfig());
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        beta.awaitState(ConnState.CONN_CONNECTED, 0);
        Thread.sleep(NET.connectInt().multipliedBy(2).toMillis());

        assertEquals(1, alpha.established.size(), alpha.states.toString());
        assertEquals(1, beta.established.size(), beta.states.toString());
        assertEquals(ConnState.CONN_CONNECTED, alpha.connector.state());
        assertEquals(ConnState.CONN_CONNECTED, beta.connector.state());
        // Which dial survives depends on who was listening first: when beta's dial arrives while alpha
        // has none in flight, alpha accepts it. Either way there is one connection, between alpha and beta.
        assertTrue(alpha.established.getFirst().describePeer().startsWith("beta ("),
                alpha.established.getFirst().describePeer());
    }

    @Test
    void pingsKeepAnIdleLinkAlive() throws Exception {
        startThroughProxies();
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        beta.awaitState(ConnState.CONN_CONNECTED, 0);
        long before = toBeta.forwardedBytes() + toAlpha.forwardedBytes();

        Thread.sleep(NET.pingInt().plus(NET.pingTimeout()).multipliedBy(4).toMillis());

        assertTrue(toBeta.forwardedBytes() + toAlpha.forwardedBytes() > before, "pings crossed the idle link");
        assertEquals(1, alpha.established.size(), alpha.states.toString());
        assertEquals(ConnState.CONN_CONNECTED, alpha.connector.state());
        assertEquals(ConnState.CONN_CONNECTED, beta.connector.state());
    }

    @Test
    void aStalledLinkIsDetectedByPingTimeoutAndReconnectsWhenItResumes() throws Exception {
        startThroughProxies();
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        beta.awaitState(ConnState.CONN_CONNECTED, 0);
        int alphaMark = alpha.states.size();
        int betaMark = beta.states.size();

        toAlpha.stall();
        toBeta.stall();

        assertEquals("PingAck did not arrive in time.",
                alpha.awaitState(ConnState.CONN_NETWORK_FAILURE, alphaMark).reason());
        assertEquals("PingAck did not arrive in time.",
                beta.awaitState(ConnState.CONN_NETWORK_FAILURE, betaMark).reason());
        alpha.awaitState(ConnState.CONN_WF_CONNECTION, alphaMark);
        Thread.sleep(NET.connectInt().toMillis());
        assertEquals(1, alpha.established.size(), "no connection through a stalled link");

        toAlpha.resume();
        toBeta.resume();

        alpha.awaitState(ConnState.CONN_CONNECTED, alphaMark);
        beta.awaitState(ConnState.CONN_CONNECTED, betaMark);
        GrpcNode.await(() -> alpha.established.size() == 2 && beta.established.size() == 2, "both reconnected");
    }

    @Test
    void aCutLinkReconnects() throws Exception {
        startThroughProxies();
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        int mark = alpha.states.size();

        toAlpha.cut();
        toBeta.cut();

        alpha.awaitState(ConnState.CONN_WF_CONNECTION, mark);
        alpha.awaitState(ConnState.CONN_CONNECTED, mark);
        GrpcNode.await(() -> beta.connector.state() == ConnState.CONN_CONNECTED, "beta reconnected");
    }

    @Test
    void aPeerThatStopsReadingFillsTheWindowAndIsDeclaredDead() throws Exception {
        startThroughProxies();
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        beta.awaitState(ConnState.CONN_CONNECTED, 0);
        PeerConnection a = alpha.established.getFirst();
        int mark = alpha.states.size();
        toBeta.stall();
        toAlpha.stall();

        DataPacket write = DataPacket.newBuilder().setWrite(Write.newBuilder()
                .setData(ByteString.copyFrom(new byte[64 << 10]))).build();
        int taken = alpha.onExecutor(() -> {
            int n = 0;
            while (n < 10_000 && a.sendData(write)) {
                n++;
            }
            return n;
        });

        assertTrue(taken < 10_000, "the data window refused more after " + taken + " writes of 64 KiB");
        assertTrue(alpha.onExecutor(a::dataBytesQueued) <= NET.dataWindowBytes());
        GrpcNode.await(() -> alpha.states.stream().skip(mark).anyMatch(c -> c.state() != ConnState.CONN_CONNECTED),
                "alpha drops the connection");
    }

    @Test
    void wrongSecretOverGrpcEndsStandAloneWithoutRetrying() throws Exception {
        startDirect(seedConfig(), config(sha1("falken"), seedProtocol(), seedSync()));

        assertEquals("Authentication of peer failed", alpha.awaitState(ConnState.CONN_DISCONNECTING, 0).reason());
        assertEquals("Authentication of peer failed", beta.awaitState(ConnState.CONN_DISCONNECTING, 0).reason());
        alpha.awaitState(ConnState.CONN_STAND_ALONE, 1);
        beta.awaitState(ConnState.CONN_STAND_ALONE, 1);
        Thread.sleep(NET.connectInt().multipliedBy(2).toMillis());
        assertEquals(ConnState.CONN_STAND_ALONE, alpha.connector.state());
        assertEquals(ConnState.CONN_STAND_ALONE, beta.connector.state());
        assertTrue(alpha.established.isEmpty());
    }

    @Test
    void aDisconnectedPeerRefusesAndConnectBringsItBack() throws Exception {
        startDirect(seedConfig(), seedConfig());
        alpha.awaitState(ConnState.CONN_CONNECTED, 0);
        int mark = alpha.states.size();

        beta.connector.disconnect();

        alpha.awaitState(ConnState.CONN_WF_CONNECTION, mark);
        Thread.sleep(NET.connectInt().multipliedBy(2).toMillis());
        assertEquals(ConnState.CONN_WF_CONNECTION, alpha.connector.state());
        assertEquals(ConnState.CONN_STAND_ALONE, beta.connector.state());

        beta.connector.connect();

        alpha.awaitState(ConnState.CONN_CONNECTED, mark);
    }
}
