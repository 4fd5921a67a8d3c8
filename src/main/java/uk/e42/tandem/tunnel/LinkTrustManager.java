package uk.e42.tandem.tunnel;

import java.net.Socket;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts a peer only when {@link PeerCheck} does; a refusal is reported (log line, listeners)
 * on this side with its reason before the TLS stack turns it into an alert for the other side.
 * Being an {@link X509ExtendedTrustManager}, the JDK uses it as is and adds no host-name check of
 * its own: the node-name check here is the one that counts.
 */
final class LinkTrustManager extends X509ExtendedTrustManager {
    static final String UNKNOWN = "(address not known to TLS)";
    private final Supplier<LinkMaterial> current;
    private final List<String> expectedPeers;
    private final Clock clock;
    private final Consumer<PeerRefusal> refusals;

    LinkTrustManager(Supplier<LinkMaterial> current, List<String> expectedPeers, Clock clock,
            Consumer<PeerRefusal> refusals) {
        this.current = current;
        this.expectedPeers = List.copyOf(expectedPeers);
        this.clock = clock;
        this.refusals = refusals;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws PeerRefusedException {
        check(chain, PeerCheck.Role.CLIENT, address(engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws PeerRefusedException {
        check(chain, PeerCheck.Role.SERVER, address(engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws PeerRefusedException {
        check(chain, PeerCheck.Role.CLIENT, address(socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws PeerRefusedException {
        check(chain, PeerCheck.Role.SERVER, address(socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws PeerRefusedException {
        check(chain, PeerCheck.Role.CLIENT, UNKNOWN);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws PeerRefusedException {
        check(chain, PeerCheck.Role.SERVER, UNKNOWN);
    }

    /**
     * None announced: a client then sends its certificate even when another CA issued it, and the
     * refusal names that, instead of the TLS stack's bare "empty client certificate chain".
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    private void check(X509Certificate[] chain, PeerCheck.Role role, String address) throws PeerRefusedException {
        try {
            PeerCheck.check(chain, current.get().trust(), role, expectedPeers, clock.instant(), "peer certificate");
        } catch (PeerRefusedException e) {
            refusals.accept(new PeerRefusal(address, role, e.reason()));
            throw e;
        }
    }

    /** A listener's engine does not know who connected (gRPC creates it without the address). */
    private static String address(SSLEngine engine) {
        if (engine == null || engine.getPeerHost() == null) {
            return UNKNOWN;
        }
        return engine.getPeerPort() < 0 ? engine.getPeerHost() : engine.getPeerHost() + ":" + engine.getPeerPort();
    }

    private static String address(Socket socket) {
        return socket == null ? UNKNOWN : String.valueOf(socket.getRemoteSocketAddress());
    }
}
