package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.peer.PeerFixtures.config;
import static uk.e42.tandem.peer.PeerFixtures.quickNet;
import static uk.e42.tandem.peer.PeerFixtures.report;
import static uk.e42.tandem.peer.PeerFixtures.seedConfig;
import static uk.e42.tandem.peer.PeerFixtures.seedProtocol;
import static uk.e42.tandem.peer.PeerFixtures.seedSync;
import static uk.e42.tandem.peer.PeerFixtures.sha1;

import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import uk.e42.tandem.peer.v1.AfterSbPolicy;
import uk.e42.tandem.peer.v1.AuthChallenge;
import uk.e42.tandem.peer.v1.BarrierAck;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Features;
import uk.e42.tandem.peer.v1.Protocol;

/** Two endpoints handshaking through {@link InMemoryLink}: the way in, and every way out. */
class PeerHandshakeTest {

    private static final HandshakeDecider PROCEED = views -> HandshakeDecider.Verdict.proceed("Connected");

    private final TestNode alpha = new TestNode("alpha");
    private final TestNode beta = new TestNode("beta");
    private final AtomicReference<HandshakeViews> alphaDecidedOn = new AtomicReference<>();
    private final AtomicReference<HandshakeViews> betaDecidedOn = new AtomicReference<>();
    private InMemoryLink[] links;

    @AfterEach
    void stop() {
        alpha.close();
        beta.close();
    }

    private void connect(HandshakeConfig alphaConfig, HandshakeConfig betaConfig) throws Exception {
        connect(alphaConfig, betaConfig, PROCEED);
    }

    private void connect(HandshakeConfig alphaConfig, HandshakeConfig betaConfig, HandshakeDecider betaDecider)
            throws Exception {
        links = InMemoryLink.pair(alpha.executor, "alpha", beta.executor, "beta", quickNet().dataWindowBytes());
        byte[] binding = "tls-exporter bytes of this session".getBytes();
        links[0].useChannelBinding(binding);
        links[1].useChannelBinding(binding);
        PeerConnection a = new PeerConnection(links[0], alpha.executor, quickNet(), alphaConfig,
                () -> report(0x1000), views -> {
                    alphaDecidedOn.set(views);
                    return PROCEED.decide(views);
                }, alpha, "r0 beta");
        PeerConnection b = new PeerConnection(links[1], beta.executor, quickNet(), betaConfig,
                () -> report(0x2000), views -> {
                    betaDecidedOn.set(views);
                    return betaDecider.decide(views);
                }, beta, "r0 alpha");
        alpha.onExecutor(a::start);
        beta.onExecutor(b::start);
    }

    /** Alpha runs a real connection; the other end is played by {@code peer}. */
    private void connectToRawPeer(String peerName, HandshakeConfig alphaConfig, RecordingListener peer,
            Runnable afterPeerStarted) throws Exception {
        links = InMemoryLink.pair(alpha.executor, "alpha", beta.executor, peerName, 1 << 20);
        PeerConnection a = new PeerConnection(links[0], alpha.executor, quickNet(), alphaConfig, () -> report(1),
                PROCEED, alpha, "r0 " + peerName);
        beta.onExecutor(() -> {
            links[1].start(peer);
            afterPeerStarted.run();
        });
        alpha.onExecutor(a::start);
    }

    private void assertBothEnd(String reason, boolean reconnect) throws Exception {
        for (TestNode node : List.of(alpha, beta)) {
            TestNode.Ended ended = node.awaitEnded();
            assertEquals(reason, ended.reason(), node.name);
            assertEquals(reconnect, ended.reconnect(), node.name);
            assertFalse(node.connected.isDone(), node.name);
        }
    }

    @Test
    void seedSettingsConnectAndBothSidesSeeTheSameExchange() throws Exception {
        connect(seedConfig(), seedConfig());

        HandshakeViews a = alpha.awaitConnected().views();
        HandshakeViews b = beta.awaitConnected().views();
        assertEquals(b.local(), a.peer());
        assertEquals(a.local(), b.peer());
        assertEquals(0x1000, a.local().device().uuids().getCurrent());
        assertEquals(0x2000, a.peer().device().uuids().getCurrent());
        assertEquals(HandshakeConfig.DIALECT_MAX, a.agreedDialect());
        assertEquals(PeerFixtures.FEATURES, a.agreedFeatures());
        assertEquals(a, alphaDecidedOn.get());
        assertEquals(b, betaDecidedOn.get());
        assertFalse(alpha.ended.isDone());
    }

    @Test
    void withoutCramHmacOnEitherSideTheyConnectToo() throws Exception {
        connect(config(Optional.empty(), seedProtocol(), seedSync()),
                config(Optional.empty(), seedProtocol(), seedSync()));

        assertEquals("Connected", alpha.awaitConnected().decision());
        assertEquals("Connected", beta.awaitConnected().decision());
    }

    @Test
    void featuresAreAndedAndTheLowerMaximumIsAgreed() throws Exception {
        connect(new HandshakeConfig(1, 3, 0b1011, sha1("joshua"), seedProtocol().build(), seedSync().build()),
                new HandshakeConfig(2, 5, 0b0011, sha1("joshua"), seedProtocol().build(), seedSync().build()));

        assertEquals(3, alpha.awaitConnected().views().agreedDialect());
        assertEquals(0b0011, beta.awaitConnected().views().agreedFeatures());
    }

    @Test
    void wrongSecretFailsOnBothSidesAndIsNotRetried() throws Exception {
        connect(config(sha1("joshua"), seedProtocol(), seedSync()), config(sha1("falken"), seedProtocol(), seedSync()));

        assertBothEnd("Authentication of peer failed", false);
        assertEquals(ConnState.CONN_DISCONNECTING, alpha.awaitEnded().state());
        assertNull(alphaDecidedOn.get());
    }

    @Test
    void differentAlgorithmsAreAnAuthenticationFailureToo() throws Exception {
        connect(config(sha1("joshua"), seedProtocol(), seedSync()),
                config(Optional.of(CramHmac.of("sha256", "joshua", new SecureRandom())), seedProtocol(), seedSync()));

        assertTrue(alpha.awaitEnded().reason().startsWith("Authentication of peer failed"));
        assertTrue(beta.awaitEnded().reason().startsWith("Authentication of peer failed"));
    }

    @Test
    void aProofMadeForAnotherTlsSessionIsRefused() throws Exception {
        links = InMemoryLink.pair(alpha.executor, "alpha", beta.executor, "beta", 1 << 20);
        links[0].useChannelBinding(new byte[] {1});
        links[1].useChannelBinding(new byte[] {2});
        PeerConnection a = new PeerConnection(links[0], alpha.executor, quickNet(), seedConfig(), () -> report(1),
                PROCEED, alpha, "r0 beta");
        PeerConnection b = new PeerConnection(links[1], beta.executor, quickNet(), seedConfig(), () -> report(2),
                PROCEED, beta, "r0 alpha");
        alpha.onExecutor(a::start);
        beta.onExecutor(b::start);

        assertBothEnd("Authentication of peer failed", false);
    }

    @Test
    void cramHmacOnOneSideOnlyIsAProtocolErrorNamingTheFix() throws Exception {
        connect(seedConfig(), config(Optional.empty(), seedProtocol(), seedSync()));

        TestNode.Ended withAuth = alpha.awaitEnded();
        assertEquals("expected AuthChallenge packet, received: ProtocolParams (the peer does not authenticate:"
                + " set cram-hmac-alg and shared-secret on both nodes)", withAuth.reason());
        assertEquals(ConnState.CONN_PROTOCOL_ERROR, withAuth.state());
        assertTrue(withAuth.reconnect());
        assertEquals("expected ProtocolParams packet, received: AuthChallenge (the peer wants cram-hmac"
                + " authentication: set cram-hmac-alg and shared-secret here too)", beta.awaitEnded().reason());
        assertFalse(alpha.connected.isDone());
        assertFalse(beta.connected.isDone());
        assertNull(betaDecidedOn.get());
    }

    @Test
    void incompatibleProtocolGoesStandAloneOnBothSides() throws Exception {
        connect(seedConfig(), config(sha1("joshua"), seedProtocol().setProtocol(Protocol.PROTOCOL_C), seedSync()));

        assertBothEnd("incompatible protocol settings", false);
    }

    @Test
    void afterSbPoliciesAreComparedWithLocalAndRemoteSwapped() throws Exception {
        connect(config(sha1("joshua"), seedProtocol().setAfterSb0Pri(AfterSbPolicy.ASB_DISCARD_LOCAL), seedSync()),
                config(sha1("joshua"), seedProtocol().setAfterSb0Pri(AfterSbPolicy.ASB_DISCARD_REMOTE), seedSync()));

        alpha.awaitConnected();
        beta.awaitConnected();
    }

    @Test
    void bothDiscardLocalIsIncompatible() throws Exception {
        connect(config(sha1("joshua"), seedProtocol().setAfterSb1Pri(AfterSbPolicy.ASB_DISCARD_LOCAL), seedSync()),
                config(sha1("joshua"), seedProtocol().setAfterSb1Pri(AfterSbPolicy.ASB_DISCARD_LOCAL), seedSync()));

        assertBothEnd("incompatible after-sb-1pri settings", false);
    }

    @Test
    void differentAfterSb0PriIsNamed() throws Exception {
        connect(seedConfig(), config(sha1("joshua"),
                seedProtocol().setAfterSb0Pri(AfterSbPolicy.ASB_DISCARD_LEAST_CHANGES), seedSync()));

        assertBothEnd("incompatible after-sb-0pri settings", false);
    }

    @Test
    void discardMyDataOnBothSidesIsRefused() throws Exception {
        connect(config(sha1("joshua"), seedProtocol().setDiscardMyData(true), seedSync()),
                config(sha1("joshua"), seedProtocol().setDiscardMyData(true), seedSync()));

        assertBothEnd("incompatible discard-my-data settings", false);
    }

    @Test
    void discardMyDataOnOneSideIsFine() throws Exception {
        connect(config(sha1("joshua"), seedProtocol().setDiscardMyData(true), seedSync()), seedConfig());

        assertTrue(beta.awaitConnected().views().peer().protocol().getDiscardMyData());
    }

    @Test
    void twoPrimariesMustBeAllowedOnBothOrNeither() throws Exception {
        connect(config(sha1("joshua"), seedProtocol().setAllowTwoPrimaries(true), seedSync()), seedConfig());

        assertBothEnd("incompatible allow-two-primaries settings", false);
    }

    @Test
    void differentVerifyAlgNamesBothValues() throws Exception {
        connect(seedConfig(), config(sha1("joshua"), seedProtocol(), seedSync().setVerifyAlg("sha1")));

        assertEquals("Different verify-alg settings. me=\"md5\" peer=\"sha1\"", alpha.awaitEnded().reason());
        assertEquals("Different verify-alg settings. me=\"sha1\" peer=\"md5\"", beta.awaitEnded().reason());
        assertFalse(alpha.awaitEnded().reconnect());
    }

    @Test
    void differentCsumsAlgIsRefused() throws Exception {
        connect(seedConfig(), config(sha1("joshua"), seedProtocol(), seedSync().setCsumsAlg("")));

        assertEquals("Different csums-alg settings. me=\"md5\" peer=\"\"", alpha.awaitEnded().reason());
    }

    @Test
    void rateAndControllerValuesMayDiffer() throws Exception {
        connect(seedConfig(), config(sha1("joshua"), seedProtocol(), seedSync().setResyncRate(40960)));

        assertEquals(40960, alpha.awaitConnected().views().peer().sync().getResyncRate());
    }

    @Test
    void disjointDialectsAreIncompatible() throws Exception {
        connect(seedConfig(), new HandshakeConfig(2, 3, 0, sha1("joshua"), seedProtocol().build(), seedSync().build()));

        TestNode.Ended ended = alpha.awaitEnded();
        assertEquals("incompatible dialects: I support 1-1, peer supports 2-3", ended.reason());
        assertFalse(ended.reconnect());
        assertEquals("incompatible dialects: I support 2-3, peer supports 1-1", beta.awaitEnded().reason());
    }

    @Test
    void aReflectedChallengeIsRefused() throws Exception {
        AtomicReference<InMemoryLink> mirror = new AtomicReference<>();
        connectToRawPeer("mirror", seedConfig(), new RecordingListener() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                if (packet.hasFeatures() || packet.hasAuthChallenge()) {
                    mirror.get().sendData(packet);
                }
            }
        }, () -> mirror.set(links[1]));

        TestNode.Ended ended = alpha.awaitEnded();
        assertEquals("Authentication of peer failed: Peer presented the same challenge!", ended.reason());
        assertFalse(ended.reconnect());
    }

    @Test
    void aShortChallengeIsAProtocolErrorAndRetried() throws Exception {
        AtomicReference<InMemoryLink> raw = new AtomicReference<>();
        connectToRawPeer("raw", seedConfig(), new RecordingListener() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                if (packet.hasFeatures()) {
                    raw.get().sendData(packet);
                    raw.get().sendData(DataPacket.newBuilder().setAuthChallenge(AuthChallenge.newBuilder()
                            .setChallenge(ByteString.copyFrom(new byte[8]))).build());
                }
            }
        }, () -> raw.set(links[1]));

        TestNode.Ended ended = alpha.awaitEnded();
        assertEquals("Authentication of peer failed, trying again: expected AuthChallenge of 64 bytes, received 8",
                ended.reason());
        assertTrue(ended.reconnect());
    }

    @Test
    void deviceStateIsNotSentBeforeThePeerProvedTheSecret() throws Exception {
        AtomicReference<InMemoryLink> spyLink = new AtomicReference<>();
        RecordingListener spy = new RecordingListener() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                super.onData(packet, buffer);
                if (packet.hasFeatures()) {
                    spyLink.get().sendData(packet);
                    spyLink.get().sendData(DataPacket.newBuilder().setAuthChallenge(AuthChallenge.newBuilder()
                            .setChallenge(ByteString.copyFrom(new byte[64]))).build());
                } else if (packet.hasAuthResponse()) {
                    spyLink.get().sendData(packet);
                }
            }
        };
        connectToRawPeer("spy", seedConfig(), spy, () -> spyLink.set(links[1]));

        assertEquals("Authentication of peer failed", alpha.awaitEnded().reason());
        beta.onExecutor(() -> { });
        assertEquals(List.of("Features", "AuthChallenge", "AuthResponse"),
                spy.data.stream().map(PacketNames::of).toList());
    }

    @Test
    void garbageBytesDropTheConnectionNamingWhatArrived() throws Exception {
        connect(seedConfig(), seedConfig());
        alpha.awaitConnected();
        beta.awaitConnected();

        links[1].injectRawData(new byte[] {0x0a, 0x7f, 0x01});

        TestNode.Ended ended = alpha.awaitEnded();
        assertEquals(ConnState.CONN_PROTOCOL_ERROR, ended.state());
        assertTrue(ended.reason().startsWith("received garbage on the data stream from beta (3 bytes): "),
                ended.reason());
        assertTrue(ended.reconnect());
        assertEquals(ConnState.CONN_BROKEN_PIPE, beta.awaitEnded().state());
        assertTrue(alpha.data.isEmpty());
    }

    @Test
    void anUnknownPacketInTheHandshakeIsNamed() throws Exception {
        // field 99, varint 1: a packet from a newer dialect, or noise that happens to parse
        connectToRawPeer("future", seedConfig(), new RecordingListener(),
                () -> links[1].injectRawData(new byte[] {(byte) 0x98, 0x06, 0x01}));

        assertEquals("expected Features packet, received: unknown packet (field 99, 3 bytes)",
                alpha.awaitEnded().reason());
    }

    @Test
    void aPacketOutOfOrderIsAProtocolError() throws Exception {
        connectToRawPeer("hasty", seedConfig(), new RecordingListener(),
                () -> links[1].sendData(DataPacket.newBuilder().setUuids(report(9).uuids()).build()));

        TestNode.Ended ended = alpha.awaitEnded();
        assertEquals("expected Features packet, received: Uuids", ended.reason());
        assertEquals(ConnState.CONN_PROTOCOL_ERROR, ended.state());
    }

    @Test
    void theSameFeaturesPacketTwiceIsUnexpected() throws Exception {
        DataPacket features = DataPacket.newBuilder()
                .setFeatures(Features.newBuilder().setProtocolMin(1).setProtocolMax(1)).build();
        connectToRawPeer("echo", config(Optional.empty(), seedProtocol(), seedSync()), new RecordingListener(), () -> {
            links[1].sendData(features);
            links[1].sendData(features);
        });

        assertEquals("expected ProtocolParams packet, received: Features", alpha.awaitEnded().reason());
    }

    @Test
    void aControlPacketOtherThanPingDuringTheHandshakeIsAProtocolError() throws Exception {
        connectToRawPeer("early", seedConfig(), new RecordingListener(), () -> links[1].sendControl(
                ControlPacket.newBuilder().setBarrierAck(BarrierAck.newBuilder().setBarrierNr(1)).build()));

        assertEquals("unexpected BarrierAck packet on the control stream during the handshake",
                alpha.awaitEnded().reason());
    }

    @Test
    void theDecidersRefusalEndsTheConnectionAsItSays() throws Exception {
        connect(seedConfig(), seedConfig(),
                views -> HandshakeDecider.Verdict.standAlone("Split-Brain detected but unresolved, dropping connection!"));

        TestNode.Ended ended = beta.awaitEnded();
        assertEquals("Split-Brain detected but unresolved, dropping connection!", ended.reason());
        assertFalse(ended.reconnect());
        assertEquals(ConnState.CONN_BROKEN_PIPE, alpha.awaitEnded().state());
    }
}
