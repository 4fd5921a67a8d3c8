package uk.e42.tandem.peer;

import java.util.Optional;

import uk.e42.tandem.peer.v1.ProtocolParams;
import uk.e42.tandem.peer.v1.SyncParams;

/**
 * What this node brings to a handshake from its configuration.
 *
 * @param protocolMin  lowest peer-protocol dialect spoken
 * @param protocolMax  highest dialect spoken
 * @param featureFlags {@link uk.e42.tandem.peer.v1.FeatureFlag} bits offered
 * @param auth         cram-hmac, when {@code cram-hmac-alg} is set
 * @param protocol     the net section's protocol and policies, and the one-shot discard-my-data
 * @param sync         resync-rate, csums-alg, verify-alg and the c-* values
 */
public record HandshakeConfig(int protocolMin, int protocolMax, int featureFlags, Optional<CramHmac> auth,
        ProtocolParams protocol, SyncParams sync) {

    /** The dialects this build speaks. */
    public static final int DIALECT_MIN = 1;
    public static final int DIALECT_MAX = 1;

    public HandshakeConfig {
        if (protocolMin < 1 || protocolMax < protocolMin) {
            throw new IllegalArgumentException("dialect range " + protocolMin + "-" + protocolMax + " is empty");
        }
    }

    /** This build's dialect range and features. */
    public static HandshakeConfig of(int featureFlags, Optional<CramHmac> auth, ProtocolParams protocol,
            SyncParams sync) {
        return new HandshakeConfig(DIALECT_MIN, DIALECT_MAX, featureFlags, auth, protocol, sync);
    }
}
