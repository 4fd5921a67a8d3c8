package uk.e42.tandem.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A parsed and validated drbd.conf with everything it included: the immutable model the rest of
 * Tandem reads. {@link #forNode} gives one node's effective view.
 *
 * @param file the top-level file (absolute), as {@code drbdadm dump} prints it
 */
public record DrbdConfig(Path file, GlobalConfig global, Optional<Sections> common, List<ResourceConfig> resources,
        Dialect dialect) {
    public DrbdConfig {
        resources = List.copyOf(resources);
    }

    public Optional<ResourceConfig> resource(String name) {
        return resources.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    public List<String> resourceNames() {
        return resources.stream().map(ResourceConfig::name).toList();
    }

    /** This node's view: which resources it takes part in, with common inherited and defaults applied. */
    public NodeView forNode(String nodeName) {
        return forNode(nodeName, LocalAddresses.system());
    }

    public NodeView forNode(String nodeName, LocalAddresses local) {
        return new NodeView(this, nodeName, local);
    }
}
