package uk.e42.tandem.admin;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
import jakarta.annotation.Priority;
import uk.e42.tandem.node.HostPort;

/**
 * Operators set one value, {@code tandem.admin.address} (DESIGN.md's convention, shared with the
 * CLI); Quarkus's gRPC server wants a host and a port. This splits the one into the other, so the
 * two can never disagree.
 */
@Priority(Priorities.APPLICATION)
public class AdminAddressInterceptor implements ConfigSourceInterceptor {
    static final String ADDRESS = "tandem.admin.address";
    private static final String HOST = "quarkus.grpc.server.host";
    private static final String PORT = "quarkus.grpc.server.port";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        if (!name.equals(HOST) && !name.equals(PORT)) {
            return context.proceed(name);
        }
        // TandemConfig's @WithDefault is visible here as Quarkus registers mapping defaults as a source.
        ConfigValue configured = context.proceed(ADDRESS);
        if (configured == null || configured.getValue() == null) {
            return context.proceed(name);
        }
        HostPort address = HostPort.parse(ADDRESS, configured.getValue());
        String value = name.equals(HOST) ? address.host() : Integer.toString(address.port());
        return ConfigValue.builder().withName(name).withValue(value)
                .withConfigSourceName(configured.getConfigSourceName())
                .withConfigSourceOrdinal(configured.getConfigSourceOrdinal())
                .build();
    }
}
