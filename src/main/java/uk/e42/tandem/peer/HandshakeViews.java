package uk.e42.tandem.peer;

/**
 * Both sides of a completed exchange, for the sync decision.
 *
 * @param local          what this node sent
 * @param peer           what the peer sent
 * @param agreedDialect  the peer-protocol version both speak
 * @param agreedFeatures {@link uk.e42.tandem.peer.v1.FeatureFlag} bits both offered
 */
public record HandshakeViews(HandshakeView local, HandshakeView peer, int agreedDialect, int agreedFeatures) {
}
