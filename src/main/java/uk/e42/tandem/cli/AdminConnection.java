package uk.e42.tandem.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import uk.e42.tandem.admin.v1.AdminGrpc;
import uk.e42.tandem.node.HostPort;
import uk.e42.tandem.tunnel.LinkSecurity;
import uk.e42.tandem.tunnel.TlsSettings;

/**
 * The CLI's line to its daemon, at tandem.admin.address like the daemon itself: plaintext on a
 * loopback address, mutual TLS with the cluster's CA anywhere else (as the daemon requires there).
 */
final class AdminConnection implements AutoCloseable {
    private final HostPort address;
    private final boolean tls;
    private final ManagedChannel channel;

    /** @throws IOException when TLS is needed and the key or certificate files cannot be read */
    AdminConnection(HostPort address, TlsSettings tlsSettings, String clientName) throws IOException {
        this.address = address;
        this.tls = LinkSecurity.adminNeedsTls(address.host());
        this.channel = tls
                ? NettyChannelBuilder.forAddress(address.host(), address.port())
                        .sslContext(LinkSecurity.adminClientContext(tlsSettings, clientName)).build()
                : Grpc.newChannelBuilderForAddress(address.host(), address.port(),
                        InsecureChannelCredentials.create()).build();
    }

    /**
     * Runs one call and turns gRPC failures into what drbdadm would print and exit with.
     *
     * @return the exit code
     */
    <T> int call(String verb, Function<AdminGrpc.AdminBlockingStub, T> rpc, Function<T, String> render,
            PrintWriter out, PrintWriter err) {
        try {
            String text = render.apply(rpc.apply(AdminGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS)));
            if (!text.isEmpty()) {
                out.print(text.endsWith("\n") ? text : text + "\n");
            }
            return ExitCodes.OK;
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            switch (status.getCode()) {
                case UNAVAILABLE -> {
                    if (tls && causedBy(e, SSLException.class)) {
                        err.printf("tandem %s: TLS with the admin API at %s failed (%s). Beyond localhost the daemon"
                                + " accepts only certificates of its cluster's CA: the CLI shows one made from"
                                + " tandem.tls.key-file (static-key) or tandem.tls.cert-file (pem), and must use the"
                                + " daemon's key or CA.%n", verb, address, status.getDescription());
                        return ExitCodes.NO_DAEMON;
                    }
                    err.printf("tandem %s: no daemon answers at %s (%s). Is `tandem daemon` running? "
                            + "The CLI finds it through tandem.admin.address / TANDEM_ADMIN_ADDRESS.%n",
                            verb, address, status.getDescription());
                    return ExitCodes.NO_DAEMON;
                }
                case UNIMPLEMENTED -> {
                    err.printf("tandem %s: not available yet in this version of Tandem%n", verb);
                    return ExitCodes.FAILED;
                }
                case NOT_FOUND, INVALID_ARGUMENT -> {
                    err.println(status.getDescription());
                    return ExitCodes.CONFIG;
                }
                case FAILED_PRECONDITION -> {
                    err.println(status.getDescription());
                    return ExitCodes.STATE_CHANGE_FAILED;
                }
                default -> {
                    err.printf("tandem %s: %s%n", verb,
                            status.getDescription() == null ? status.getCode() : status.getDescription());
                    return ExitCodes.FAILED;
                }
            }
        }
    }

    /**
     * Whether a daemon answers at the address. Only a plain "nobody listens" is no: a daemon that refuses
     * this CLI's TLS is still a daemon, and local verbs must not work around it.
     */
    boolean daemonAnswers() {
        try {
            AdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getNode(uk.e42.tandem.admin.v1.GetNodeRequest.getDefaultInstance());
            return true;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() != Status.Code.UNAVAILABLE || (tls && causedBy(e, SSLException.class));
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
