package uk.e42.tandem.peer;

import java.util.Optional;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import io.netty.handler.ssl.SslContext;

/**
 * How peer links are secured: the hook the tunnel plugs in. Without TLS contexts the link runs in
 * plaintext (explicitly asked for, e.g. inside a VPN); then there is no peer check and the
 * channel binding is empty, so cram-hmac proves the secret but binds to nothing.
 */
public interface LinkSecurity {

    /** For the listener; empty = plaintext. Must be ALPN-enabled for HTTP/2 (GrpcSslContexts). */
    Optional<SslContext> serverContext();

    /** For dialing; empty = plaintext. */
    Optional<SslContext> clientContext();

    /**
     * Checks that the TLS peer is the node we expect, once we know which node that is.
     *
     * @throws SSLPeerUnverifiedException saying why not
     */
    void checkPeer(SSLSession session, String expectedNode, boolean weAreServer) throws SSLPeerUnverifiedException;

    /** Bytes both ends derive from this TLS session alone (e.g. an RFC 9266 tls-exporter value). */
    byte[] channelBinding(SSLSession session, boolean weAreServer);

    /** No TLS. */
    static LinkSecurity plaintext() {
        return new LinkSecurity() {
            @Override
            public Optional<SslContext> serverContext() {
                return Optional.empty();
            }

            @Override
            public Optional<SslContext> clientContext() {
                return Optional.empty();
            }

            @Override
            public void checkPeer(SSLSession session, String expectedNode, boolean weAreServer) {
                throw new IllegalStateException("a plaintext link has no TLS session to check");
            }

            @Override
            public byte[] channelBinding(SSLSession session, boolean weAreServer) {
                throw new IllegalStateException("a plaintext link has no TLS session to bind to");
            }
        };
    }
}
