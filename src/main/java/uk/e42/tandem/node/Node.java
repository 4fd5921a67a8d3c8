package uk.e42.tandem.node;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.util.List;
import org.jboss.logging.Logger;

/** This node: its name, the configuration it loaded and the resources it owns. */
@Startup
@ApplicationScoped
public class Node {
    private static final Logger LOG = Logger.getLogger(Node.class);

    private final String name;
    private final TandemConfig settings;
    private final String configProblem;

    public Node(TandemConfig settings) {
        this.settings = settings;
        this.name = settings.nodeName().filter(n -> !n.isBlank()).orElseGet(Node::hostname);
        if (!Files.exists(settings.config())) {
            configProblem = settings.config() + " does not exist yet; running with no resources"
                    + " (set tandem.config / TANDEM_CONFIG, or create the file and restart)";
        } else {
            configProblem = "the drbd.conf reader is not available yet; running with no resources";
        }
        LOG.infof("node %s: %s", name, configProblem);
    }

    public String name() {
        return name;
    }

    public TandemConfig settings() {
        return settings;
    }

    /** Empty when the configuration loaded; otherwise why there are no resources. */
    public String configProblem() {
        return configProblem;
    }

    public List<String> resourceNames() {
        return List.of();
    }

    static String hostname() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot tell this node's name from its hostname (" + e.getMessage()
                    + "); set tandem.node-name / TANDEM_NODE_NAME", e);
        }
    }
}
