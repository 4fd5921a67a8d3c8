package uk.e42.tandem.peer;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import com.google.protobuf.ByteString;

import uk.e42.tandem.peer.v1.AuthChallenge;
import uk.e42.tandem.peer.v1.AuthResponse;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Features;
import uk.e42.tandem.peer.v1.ProtocolParams;
import uk.e42.tandem.peer.v1.Sizes;
import uk.e42.tandem.peer.v1.SyncParams;
import uk.e42.tandem.peer.v1.Uuids;

/**
 * The connection handshake on the data stream (DRBD's conn_connect), as a state machine fed one
 * packet at a time. Both sides run it symmetrically: send, then read what the peer sent.
 *
 * <pre>
 * Features        dialect ranges must overlap; features are ANDed
 * AuthChallenge   only with cram-hmac-alg: 64 random bytes each way
 * AuthResponse    HMAC(shared-secret, peer's challenge || channel binding); a mismatch is final
 * ProtocolParams  protocol, after-sb-*, allow-two-primaries, data-integrity-alg, discard-my-data
 * SyncParams      verify-alg and csums-alg must be equal
 * Sizes, Uuids, State -> the decider (uuid_compare and friends) -> outcome
 * </pre>
 *
 * Nothing about this node's device is sent before the peer proved the shared secret. The
 * handshake never closes the link itself nor logs a refusal: its owner acts on the outcome.
 */
public final class PeerHandshake {

    private static final Logger LOG = Logger.getLogger(PeerHandshake.class);

    private enum Expect {
        FEATURES("Features"), AUTH_CHALLENGE("AuthChallenge"), AUTH_RESPONSE("AuthResponse"),
        PROTOCOL("ProtocolParams"), SYNC_PARAMS("SyncParams"), SIZES("Sizes"), UUIDS("Uuids"), STATE("State"),
        DONE("no");

        final String packet;

        Expect(String packet) {
            this.packet = packet;
        }
    }

    private final HandshakeConfig config;
    private final Supplier<DeviceReport> device;
    private final HandshakeDecider decider;
    private final PeerLink link;
    private final Consumer<HandshakeOutcome> outcome;
    private final String logPrefix;

    private Expect expect = Expect.FEATURES;
    private byte[] ownChallenge;
    private int agreedDialect;
    private int agreedFeatures;
    private HandshakeView local;
    private ProtocolParams peerProtocol;
    private SyncParams peerSync;
    private Sizes peerSizes;
    private Uuids peerUuids;

    /**
     * @param device  this node's report, taken when the handshake sends it
     * @param outcome told exactly once how the handshake ended
     * @param logPrefix e.g. {@code r0 paimon}: who the log lines are about
     */
    public PeerHandshake(HandshakeConfig config, Supplier<DeviceReport> device, HandshakeDecider decider,
            PeerLink link, Consumer<HandshakeOutcome> outcome, String logPrefix) {
        this.config = config;
        this.device = device;
        this.decider = decider;
        this.link = link;
        this.outcome = outcome;
        this.logPrefix = logPrefix;
    }

    public void start() {
        send(DataPacket.newBuilder().setFeatures(Features.newBuilder()
                .setProtocolMin(config.protocolMin())
                .setProtocolMax(config.protocolMax())
                .setFeatureFlags(config.featureFlags())).build());
    }

    public boolean done() {
        return expect == Expect.DONE;
    }

    public void onData(DataPacket packet) {
        if (expect == Expect.DONE) {
            throw new IllegalStateException("handshake already ended; " + PacketNames.of(packet) + " is not for it");
        }
        if (packet.getPacketCase().getNumber() != expectedField()) {
            unexpected(packet);
            return;
        }
        switch (expect) {
            case FEATURES -> onFeatures(packet.getFeatures());
            case AUTH_CHALLENGE -> onChallenge(packet.getAuthChallenge().getChallenge().toByteArray());
            case AUTH_RESPONSE -> onResponse(packet.getAuthResponse().getResponse().toByteArray());
            case PROTOCOL -> onProtocol(packet.getProtocol());
            case SYNC_PARAMS -> onSyncParams(packet.getSyncParams());
            case SIZES -> {
                peerSizes = packet.getSizes();
                expect = Expect.UUIDS;
            }
            case UUIDS -> {
                peerUuids = packet.getUuids();
                expect = Expect.STATE;
            }
            case STATE -> decide(new HandshakeView(peerProtocol, peerSync,
                    new DeviceReport(peerSizes, peerUuids, packet.getState())));
            case DONE -> throw new IllegalStateException("unreachable");
        }
    }

    private int expectedField() {
        return switch (expect) {
            case FEATURES -> DataPacket.FEATURES_FIELD_NUMBER;
            case AUTH_CHALLENGE -> DataPacket.AUTH_CHALLENGE_FIELD_NUMBER;
            case AUTH_RESPONSE -> DataPacket.AUTH_RESPONSE_FIELD_NUMBER;
            case PROTOCOL -> DataPacket.PROTOCOL_FIELD_NUMBER;
            case SYNC_PARAMS -> DataPacket.SYNC_PARAMS_FIELD_NUMBER;
            case SIZES -> DataPacket.SIZES_FIELD_NUMBER;
            case UUIDS -> DataPacket.UUIDS_FIELD_NUMBER;
            case STATE -> DataPacket.STATE_FIELD_NUMBER;
            case DONE -> -1;
        };
    }

    private void unexpected(DataPacket packet) {
        String reason = "expected " + expect.packet + " packet, received: " + PacketNames.of(packet);
        if (expect == Expect.AUTH_CHALLENGE && packet.hasProtocol()) {
            reason += " (the peer does not authenticate: set cram-hmac-alg and shared-secret on both nodes)";
        } else if (expect == Expect.PROTOCOL && packet.hasAuthChallenge()) {
            reason += " (the peer wants cram-hmac authentication: set cram-hmac-alg and shared-secret here too)";
        }
        fail(reason, true);
    }

    private void onFeatures(Features peer) {
        Optional<String> mismatch = ParameterAgreement.dialectMismatch(config.protocolMin(), config.protocolMax(),
                peer);
        if (mismatch.isPresent()) {
            fail(mismatch.get(), false);
            return;
        }
        agreedDialect = ParameterAgreement.agreedDialect(config.protocolMax(), peer);
        agreedFeatures = config.featureFlags() & peer.getFeatureFlags();
        LOG.infof("%s: Handshake successful: Agreed network protocol version %d", logPrefix, agreedDialect);
        LOG.infof("%s: Feature flags enabled on protocol level: %s.", logPrefix,
                ParameterAgreement.describeFeatures(agreedFeatures));
        if (config.auth().isPresent()) {
            ownChallenge = config.auth().get().newChallenge();
            expect = Expect.AUTH_CHALLENGE;
            send(DataPacket.newBuilder()
                    .setAuthChallenge(AuthChallenge.newBuilder().setChallenge(ByteString.copyFrom(ownChallenge)))
                    .build());
        } else {
            sendParameters();
        }
    }

    private void onChallenge(byte[] peerChallenge) {
        if (peerChallenge.length != CramHmac.CHALLENGE_BYTES) {
            fail("Authentication of peer failed, trying again: expected AuthChallenge of " + CramHmac.CHALLENGE_BYTES
                    + " bytes, received " + peerChallenge.length, true);
            return;
        }
        if (Arrays.equals(peerChallenge, ownChallenge)) {
            LOG.errorf("%s: Peer presented the same challenge!", logPrefix);
            fail("Authentication of peer failed: Peer presented the same challenge!", false);
            return;
        }
        byte[] response = config.auth().orElseThrow().response(peerChallenge, link.channelBinding());
        expect = Expect.AUTH_RESPONSE;
        send(DataPacket.newBuilder()
                .setAuthResponse(AuthResponse.newBuilder().setResponse(ByteString.copyFrom(response))).build());
    }

    private void onResponse(byte[] peerResponse) {
        CramHmac auth = config.auth().orElseThrow();
        if (peerResponse.length != auth.responseBytes()) {
            fail("Authentication of peer failed, trying again: expected AuthResponse of " + auth.responseBytes()
                    + " bytes (cram-hmac-alg " + auth.algorithm() + "), received " + peerResponse.length, true);
            return;
        }
        if (!auth.verify(ownChallenge, link.channelBinding(), peerResponse)) {
            fail("Authentication of peer failed", false);
            return;
        }
        LOG.infof("%s: Peer authenticated using %d bytes HMAC", logPrefix, peerResponse.length);
        sendParameters();
    }

    private void sendParameters() {
        local = new HandshakeView(config.protocol(), config.sync(), device.get());
        expect = Expect.PROTOCOL;
        send(DataPacket.newBuilder().setProtocol(local.protocol()).build());
        send(DataPacket.newBuilder().setSyncParams(local.sync()).build());
        send(DataPacket.newBuilder().setSizes(local.device().sizes()).build());
        send(DataPacket.newBuilder().setUuids(local.device().uuids()).build());
        send(DataPacket.newBuilder().setState(local.device().state()).build());
    }

    private void onProtocol(ProtocolParams peer) {
        Optional<String> mismatch = ParameterAgreement.protocolMismatch(config.protocol(), peer);
        if (mismatch.isPresent()) {
            fail(mismatch.get(), false);
            return;
        }
        peerProtocol = peer;
        expect = Expect.SYNC_PARAMS;
    }

    private void onSyncParams(SyncParams peer) {
        Optional<String> mismatch = ParameterAgreement.syncParamsMismatch(config.sync(), peer);
        if (mismatch.isPresent()) {
            fail(mismatch.get(), false);
            return;
        }
        peerSync = peer;
        expect = Expect.SIZES;
    }

    private void decide(HandshakeView peer) {
        expect = Expect.DONE;
        HandshakeViews views = new HandshakeViews(local, peer, agreedDialect, agreedFeatures);
        HandshakeDecider.Verdict verdict = decider.decide(views);
        if (verdict.proceed()) {
            LOG.infof("%s: handshake done: %s", logPrefix, verdict.summary());
            outcome.accept(new HandshakeOutcome.Connected(views, verdict.summary()));
        } else {
            outcome.accept(new HandshakeOutcome.Refused(verdict.summary(), verdict.reconnect()));
        }
    }

    private void send(DataPacket packet) {
        if (!link.sendData(packet)) {
            fail("the data stream to " + link.describe() + " is full during the handshake", true);
        }
    }

    private void fail(String reason, boolean reconnect) {
        if (expect == Expect.DONE) {
            return;
        }
        expect = Expect.DONE;
        outcome.accept(new HandshakeOutcome.Refused(reason, reconnect));
    }
}
