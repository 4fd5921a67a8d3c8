package uk.e42.tandem.cli;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import uk.e42.tandem.admin.v1.AdminGrpc;
import uk.e42.tandem.node.HostPort;

/** The CLI's line to its daemon, at tandem.admin.address like the daemon itself. */
final class AdminConnection implements AutoCloseable {
    private final HostPort address;
    private final ManagedChannel channel;

    AdminConnection(HostPort address) {
        this.address = address;
        this.channel = Grpc.newChannelBuilderForAddress(address.host(), address.port(),
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

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
