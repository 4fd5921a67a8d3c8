package uk.e42.tandem.peer;

import java.util.Optional;

import uk.e42.tandem.peer.v1.AfterSbPolicy;
import uk.e42.tandem.peer.v1.FeatureFlag;
import uk.e42.tandem.peer.v1.Features;
import uk.e42.tandem.peer.v1.ProtocolParams;
import uk.e42.tandem.peer.v1.SyncParams;

/**
 * The handshake's agreement rules (DRBD's drbd_do_features, receive_protocol, receive_SyncParam):
 * each returns the refusal in DRBD's words, or empty when both sides agree.
 */
public final class ParameterAgreement {

    private ParameterAgreement() {
    }

    /** The peer's maximum 0 means "only its minimum", as DRBD reads it. */
    public static int peerMax(Features peer) {
        return peer.getProtocolMax() == 0 ? peer.getProtocolMin() : peer.getProtocolMax();
    }

    public static Optional<String> dialectMismatch(int myMin, int myMax, Features peer) {
        int peerMax = peerMax(peer);
        if (peerMax < myMin || peer.getProtocolMin() > myMax) {
            return Optional.of("incompatible dialects: I support " + myMin + "-" + myMax + ", peer supports "
                    + peer.getProtocolMin() + "-" + peerMax);
        }
        return Optional.empty();
    }

    public static int agreedDialect(int myMax, Features peer) {
        return Math.min(myMax, peerMax(peer));
    }

    /** E.g. {@code 0x9 TRIM WRITE_ZEROES}. */
    public static String describeFeatures(int flags) {
        StringBuilder text = new StringBuilder("0x").append(Integer.toHexString(flags));
        for (FeatureFlag flag : FeatureFlag.values()) {
            if (flag != FeatureFlag.UNRECOGNIZED && flag.getNumber() != 0 && (flags & flag.getNumber()) != 0) {
                text.append(' ').append(flag.name().substring("FEATURE_".length()));
            }
        }
        return text.toString();
    }

    /** The peer's discard-remote is our discard-local: policies are compared from our side. */
    public static AfterSbPolicy fromPeersSide(AfterSbPolicy peers) {
        return switch (peers) {
            case ASB_DISCARD_LOCAL -> AfterSbPolicy.ASB_DISCARD_REMOTE;
            case ASB_DISCARD_REMOTE -> AfterSbPolicy.ASB_DISCARD_LOCAL;
            default -> peers;
        };
    }

    public static Optional<String> protocolMismatch(ProtocolParams mine, ProtocolParams peer) {
        if (mine.getProtocol() != peer.getProtocol()) {
            return incompatible("protocol");
        }
        if (mine.getAfterSb0Pri() != fromPeersSide(peer.getAfterSb0Pri())) {
            return incompatible("after-sb-0pri");
        }
        if (mine.getAfterSb1Pri() != fromPeersSide(peer.getAfterSb1Pri())) {
            return incompatible("after-sb-1pri");
        }
        if (mine.getAfterSb2Pri() != fromPeersSide(peer.getAfterSb2Pri())) {
            return incompatible("after-sb-2pri");
        }
        if (mine.getDiscardMyData() && peer.getDiscardMyData()) {
            return incompatible("discard-my-data");
        }
        if (mine.getAllowTwoPrimaries() != peer.getAllowTwoPrimaries()) {
            return incompatible("allow-two-primaries");
        }
        if (!mine.getDataIntegrityAlg().equals(peer.getDataIntegrityAlg())) {
            return incompatible("data-integrity-alg");
        }
        return Optional.empty();
    }

    public static Optional<String> syncParamsMismatch(SyncParams mine, SyncParams peer) {
        if (!mine.getVerifyAlg().equals(peer.getVerifyAlg())) {
            return different("verify-alg", mine.getVerifyAlg(), peer.getVerifyAlg());
        }
        if (!mine.getCsumsAlg().equals(peer.getCsumsAlg())) {
            return different("csums-alg", mine.getCsumsAlg(), peer.getCsumsAlg());
        }
        return Optional.empty();
    }

    private static Optional<String> incompatible(String setting) {
        return Optional.of("incompatible " + setting + " settings");
    }

    private static Optional<String> different(String setting, String mine, String peers) {
        return Optional.of("Different " + setting + " settings. me=\"" + mine + "\" peer=\"" + peers + "\"");
    }
}
