package uk.e42.tandem.deploy;

import io.quarkus.runtime.annotations.RegisterForReflection;
import uk.e42.tandem.cli.TandemCommand;

/**
 * What a native image must keep for reflection that static analysis cannot see (the JVM build
 * ignores this). Protobuf messages need nothing here: quarkus-grpc registers every generated
 * message, builder and enum. {@code NativeImageReadinessTest} fails when a class needs an entry
 * that is missing, so add to these lists rather than to a JSON file.
 */
@RegisterForReflection(
        targets = {
            // picocli builds the command model from annotations and calls the verb methods.
            TandemCommand.class,
            // picocli converts Path options with Paths.get, looked up by name.
            java.nio.file.Paths.class,
            // picocli reads method parameter names through these, looked up by name (Java 5 API).
            java.lang.reflect.Executable.class,
            java.lang.reflect.Parameter.class,
            // tunnel.ChannelBinding finds exportKeyingMaterialData (JDK 25+) by MethodHandle lookup.
            javax.net.ssl.ExtendedSSLSession.class,
        },
        classNames = {
            // versionProvider: instantiated by picocli's default factory.
            "uk.e42.tandem.cli.TandemCommand$Version",
            // mixinStandardHelpOptions and the `help` subcommand: picocli's own annotated classes.
            "picocli.CommandLine$AutoHelpMixin",
            "picocli.CommandLine$HelpCommand",
        })
public final class NativeImageRegistrations {
    private NativeImageRegistrations() {
    }
}
