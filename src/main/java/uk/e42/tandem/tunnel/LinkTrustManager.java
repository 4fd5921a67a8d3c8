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
        check(chain, PeerCheck.Role.CLIENT, "unknown address");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws PeerRefusedException {
        check(chain, PeerCheck.Role.SERVER, "unknown address");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return current.get().trust().authorities().toArray(X509Certificate[]::new);
    }

    private void check(X509Certificate[] chain, PeerCheck.Role role, String address) throws PeerRefusedException {
        try {
            PeerCheck.check(chain, current.get().trust(), role, expectedPeers, clock.instant(), "peer certificate");
        } catch (PeerRefusedException e) {
            refusals.accept(new PeerRefusal(address, role, e.reason()));
            throw e;
        }
    }

    private static String address(SSLEngine engine) {
        return engine == null || engine.getPeerHost() == null ? "unknown address"
                : engine.getPeerHost() + ":" + engine.getPeerPort();
    }

    private static String address(Socket socket) {
        return socket == null ? "unknown address" : String.valueOf(socket.getRemoteSocketAddress());
    }
}
