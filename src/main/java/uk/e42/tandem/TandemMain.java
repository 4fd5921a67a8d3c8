package uk.e42.tandem;

import io.quarkus.runtime.annotations.QuarkusMain;
import uk.e42.tandem.cli.TandemCommand;

/**
 * The one entry point of the fast-jar. Only {@code tandem daemon} boots Quarkus; every other verb
 * is a short-lived client (or a local tool such as create-md) that must not open the node's ports,
 * which a picocli-extension app would do on every invocation.
 */
@QuarkusMain
public final class TandemMain {
    private TandemMain() {
    }

    public static void main(String... args) {
        System.exit(TandemCommand.execute(args));
    }
}
