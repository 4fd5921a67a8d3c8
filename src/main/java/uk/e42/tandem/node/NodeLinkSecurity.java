package uk.e42.tandem.node;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import uk.e42.tandem.tunnel.LinkSecurity;
import uk.e42.tandem.tunnel.TlsSettings;

/**
 * The node's one {@link LinkSecurity}, shared by the peer links and the admin API. It is opened
 * (key file read, certificate issued) when something needs it: a resource with a peer, or an
 * admin API beyond localhost; a node with neither starts without a key file, as a fresh container
 * before its Secret is mounted does.
 */
@ApplicationScoped
public class NodeLinkSecurity {

    @Produces
    @Singleton
    LinkSecurity open(Node node) throws IOException {
        TandemConfig settings = node.settings();
        boolean adminNeedsTls = LinkSecurity.adminNeedsTls(adminAddress(settings).host());
        if (node.resourceNames().isEmpty() && !adminNeedsTls) {
            return LinkSecurity.plaintext(node.name());
        }
        LinkSecurity security = LinkSecurity.open(tlsSettings(settings), node.name());
        if (adminNeedsTls && !security.encrypted()) {
            security.close();
            throw new IOException("tandem.admin.address=" + settings.admin().address() + " is not a loopback"
                    + " address, so the admin API requires client certificates, but tandem.tls.mode=plaintext has"
                    + " no CA to check them with; keep the admin API on 127.0.0.1, or set tandem.tls.mode to"
                    + " static-key or pem");
        }
        return security;
    }

    void close(@Disposes LinkSecurity security) {
        security.close();
    }

    /** The tandem.tls.* settings, for the daemon and for the CLI. */
    public static TlsSettings tlsSettings(TandemConfig settings) {
        TandemConfig.Tls tls = settings.tls();
        return new TlsSettings(tls.mode(), tls.keyFile(), tls.caFile(), tls.certFile(), tls.privateKeyFile());
    }

    /** tandem.admin.address, parsed; the error names the setting. */
    public static HostPort adminAddress(TandemConfig settings) {
        return HostPort.parse("tandem.admin.address", settings.admin().address());
    }
}
