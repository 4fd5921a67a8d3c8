package uk.e42.tandem.node;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;
import uk.e42.tandem.config.ConfigParser;
import uk.e42.tandem.config.DrbdConfig;
import uk.e42.tandem.config.NodeView;

/** This node: its name, the configuration it loaded and the resources it owns. */
@Startup
@ApplicationScoped
public class Node {
    private static final Logger LOG = Logger.getLogger(Node.class);

    private final String name;
    private final TandemConfig settings;
    private final String configProblem;
    private final DrbdConfig drbdConfig;
    private final NodeView view;

    /** @throws uk.e42.tandem.config.ConfigException when the configuration is invalid: the daemon stops */
    public Node(TandemConfig settings) {
        this.settings = settings;
        this.name = nameOf(settings);
        if (!Files.exists(settings.config())) {
            drbdConfig = null;
            view = null;
            configProblem = settings.config() + " does not exist yet; running with no resources"
                    + " (set tandem.config / TANDEM_CONFIG, or create the file and restart)";
        } else {
            drbdConfig = ConfigParser.parse(settings.config());
            view = drbdConfig.forNode(name);
            configProblem = view.resourceNames().isEmpty() ? "no resource in " + settings.config()
                    + " has a host section for this node (set tandem.node-name / TANDEM_NODE_NAME if '" + name
                    + "' is not this node's name there)" : "";
        }
        if (configProblem.isEmpty()) {
            LOG.infof("node %s: resources %s from %s", name, resourceNames(), settings.config());
        } else {
            LOG.infof("node %s: %s", name, configProblem);
        }
    }

    /** This node's name for {@code on HOST} sections: {@code tandem.node-name}, else the hostname. */
    public static String nameOf(TandemConfig settings) {
        return settings.nodeName().filter(n -> !n.isBlank()).orElseGet(Node::hostname);
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

    /** The resources this node has a host section in, in file order. */
    public List<String> resourceNames() {
        return view == null ? List.of() : view.resourceNames();
    }

    /** The loaded configuration; empty while the file does not exist. */
    public Optional<DrbdConfig> drbdConfig() {
        return Optional.ofNullable(drbdConfig);
    }

    /** This node's resolved view of the configuration; empty while the file does not exist. */
    public Optional<NodeView> view() {
        return Optional.ofNullable(view);
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
