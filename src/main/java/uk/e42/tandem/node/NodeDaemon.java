package uk.e42.tandem.node;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;

/** {@code tandem daemon}: the node service, until SIGTERM/SIGINT. */
public class NodeDaemon implements QuarkusApplication {
    @Override
    public int run(String... args) {
        Quarkus.waitForExit();
        return 0;
    }
}
