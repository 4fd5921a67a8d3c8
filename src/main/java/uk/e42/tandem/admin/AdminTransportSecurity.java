package uk.e42.tandem.admin;

import io.netty.handler.ssl.SslContext;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;
import uk.e42.tandem.tunnel.LinkSecurity;

/**
 * The admin API beyond localhost requires mutual TLS with the cluster's CA (issue 7): anyone who
 * can reach the port could otherwise promote, demote or disconnect. On a loopback address it stays
 * plaintext, as the operating system already limits who connects and grpcurl -plaintext works.
 *
 * <p>Quarkus's own {@code quarkus.grpc.server.ssl.*} takes certificates from files only; this hook
 * hands the separate gRPC server's Netty builder the same {@link LinkSecurity} contexts the peer
 * links use, so the node certificate renews itself (and PEM files are re-read) without files of
 * our own and without a restart. Quarkus leaves a builder's SSL context alone when its own SSL
 * settings are absent.
 */
@Singleton
public class AdminTransportSecurity implements ServerBuilderCustomizer<VertxServerBuilder> {
    private static final Logger LOG = Logger.getLogger(AdminTransportSecurity.class);
    private final LinkSecurity security;

    public AdminTransportSecurity(LinkSecurity security) {
        this.security = security;
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        if (!LinkSecurity.adminNeedsTls(config.host())) {
            return;
        }
        // NodeLinkSecurity refuses to start a plaintext node with an admin address beyond localhost
        SslContext context = security.adminServerContext().orElseThrow();
        builder.nettyBuilder().sslContext(context);
        LOG.infof("admin API on %s:%d: TLS 1.3, clients need a certificate of the cluster's CA (%s)", config.host(),
                config.port(), security.trust().orElseThrow().issuerName());
    }
}
