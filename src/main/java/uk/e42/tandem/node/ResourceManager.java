package uk.e42.tandem.node;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import uk.e42.tandem.config.ResolvedResource;
import uk.e42.tandem.device.HeapBudget;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.meta.LastKnownBackingDevices;
import uk.e42.tandem.nbd.BlockSizes;
import uk.e42.tandem.nbd.NbdExport;
import uk.e42.tandem.nbd.NbdExports;
import uk.e42.tandem.nbd.NbdServer;
import uk.e42.tandem.tunnel.LinkSecurity;

/**
 * The node's resources and their NBD exports: built from the configuration at start, stopped
 * cleanly at shutdown. Resources start unconfigured (Diskless, StandAlone) as DRBD's do after boot;
 * {@code tandem up} brings them up.
 */
@Startup
@ApplicationScoped
public class ResourceManager {
    private static final Logger LOG = Logger.getLogger(ResourceManager.class);

    private final Node node;
    private final Map<String, Resource> resources = new LinkedHashMap<>();
    private final NbdServer nbd;
    private final Optional<FaultInjection> faultInjection;

    public ResourceManager(Node node, LinkSecurity security) throws IOException {
        this.node = node;
        List<ResolvedResource> configured = node.view().map(v -> v.resources()).orElse(List.of());
        faultInjection = FaultInjection.start(node.settings().faultInjection());
        List<NbdExport> exports = new ArrayList<>();
        HeapBudget heapBudget = HeapBudget.ofThisJvm();
        LastKnownBackingDevices lastKnown = new LastKnownBackingDevices(node.settings().stateDir());
        for (ResolvedResource config : configured) {
            Resource[] holder = new Resource[1];
            List<String> names = List.of(config.name(), "drbd" + config.volumes().get(0).minor());
            Resource resource = new Resource(config, node.name(), PeerLinkSecurity.forPeer(security,
                    config.peer().map(h -> h.nodeName()).orElse("")), () -> clients(holder[0]),
                    faultInjection.map(f -> f.opener(config.name())).orElse(FileBlockStore::open), heapBudget,
                    lastKnown);
            holder[0] = resource;
            resources.put(config.name(), resource);
            exports.add(new NbdExport(names, new AttachedVolume(resource), resource::writeRefusal, true,
                    new BlockSizes(512, 4096, BlockSizes.MAX_PAYLOAD)));
        }
        nbd = new NbdServer(new NbdExports(exports), node.settings().nbd().threads());
        if (!exports.isEmpty()) {
            try {
                nbd.listen(node.settings().nbd().host(), node.settings().nbd().port());
            } catch (IOException e) {
                throw new IOException("NBD server cannot listen on " + node.settings().nbd().host() + ":"
                        + node.settings().nbd().port() + ": " + e.getMessage()
                        + " (set tandem.nbd.host / tandem.nbd.port)", e);
            }
        }
    }

    private int clients(Resource resource) {
        return resource == null ? 0 : nbd.clients(resource.name());
    }

    public Node node() {
        return node;
    }

    public List<Resource> all() {
        return List.copyOf(resources.values());
    }

    public Optional<Resource> find(String name) {
        return Optional.ofNullable(resources.get(name));
    }

    /** NBD clients of the resource's export. */
    public int nbdClients(String resource) {
        return nbd.clients(resource);
    }

    @PreDestroy
    void stop() {
        resources.values().forEach(Resource::close);
        nbd.close();
        faultInjection.ifPresent(FaultInjection::close);
        LOG.info("resources stopped");
    }
}
