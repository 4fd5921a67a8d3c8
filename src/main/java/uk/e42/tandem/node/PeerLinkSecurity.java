package uk.e42.tandem.node;

import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import uk.e42.tandem.tunnel.ChannelBinding;
import uk.e42.tandem.tunnel.LinkSecurity;
import uk.e42.tandem.tunnel.PeerRefusedException;

/**
 * The tunnel's TLS material as the peer link asks for it, for one resource's peer. The channel
 * binding is RFC 5929 tls-server-end-point: every JDK offers it, so two nodes on different JDKs
 * still bind their cram-hmac to the same value (tls-exporter needs JDK 25 on both ends).
 */
final class PeerLinkSecurity implements uk.e42.tandem.peer.LinkSecurity {
    private final LinkSecurity tunnel;
    private final String peer;

    private PeerLinkSecurity(LinkSecurity tunnel, String peer) {
        this.tunnel = tunnel;
        this.peer = peer;
    }

    static uk.e42.tandem.peer.LinkSecurity forPeer(LinkSecurity tunnel, String peer) {
        return tunnel.encrypted() ? new PeerLinkSecurity(tunnel, peer) : uk.e42.tandem.peer.LinkSecurity.plaintext();
    }

    @Override
    public Optional<SslContext> serverContext() {
        return tunnel.peerServerContext(List.of(peer));
    }

    @Override
    public Optional<SslContext> clientContext() {
        return tunnel.peerClientContext(peer);
    }

    @Override
    public void checkPeer(SSLSession session, String expectedNode, boolean weAreServer)
            throws SSLPeerUnverifiedException {
        try {
            tunnel.verifyPeer(session, weAreServer, List.of(expectedNode));
        } catch (PeerRefusedException e) {
            throw new SSLPeerUnverifiedException(e.getMessage());
        }
    }

    @Override
    public byte[] channelBinding(SSLSession session, boolean weAreServer) {
        try {
            return ChannelBinding.tlsServerEndPoint(session, weAreServer).hmacInput();
        } catch (Exception e) {
            throw new IllegalStateException("cannot derive the TLS channel binding: " + e.getMessage(), e);
        }
    }
}
