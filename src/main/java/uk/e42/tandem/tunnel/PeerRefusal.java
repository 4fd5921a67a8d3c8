package uk.e42.tandem.tunnel;

/**
 * A peer this node refused during the TLS handshake.
 *
 * @param address where it connected from, or (as client) the host it was asked to reach
 * @param peerRole the role the peer played: CLIENT means it connected to us
 * @param reason why, e.g. "peer certificate not issued by this cluster's key (...)"
 */
public record PeerRefusal(String address, PeerCheck.Role peerRole, String reason) {
}
