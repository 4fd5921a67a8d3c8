package uk.e42.tandem.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks drbdadm makes once a whole resource is known: complete volumes on every host, the same
 * volumes on every host, unique addresses, minors, disks and meta-data slots per host; plus Tandem's
 * own: the hosts of one resource listen on different endpoints and every host a connection names
 * exists.
 */
final class ConfigValidator {
    private final List<ResourceConfig> resources;
    private final Dialect dialect;
    private final Map<String, SourcePosition> used = new HashMap<>();

    ConfigValidator(List<ResourceConfig> resources, Dialect dialect) {
        this.resources = resources;
        this.dialect = dialect;
    }

    void validate() {
        for (ResourceConfig r : resources) {
            checkHosts(r);
            checkVolumes(r);
            checkConnections(r);
        }
    }

    private void checkHosts(ResourceConfig r) {
        for (int i = 0; i < r.hosts().size(); i++) {
            Host h = r.hosts().get(i);
            for (Host earlier : r.hosts().subList(0, i)) {
                if (earlier.address().sameEndpoint(h.address())) {
                    throw new ConfigException(h.address().at(), "in resource " + r.name() + ", " + h.label()
                            + " and " + earlier.label() + " have the same address " + h.address().hostPort(),
                            "each host of a resource needs its own address:port (" + earlier.label() + " is at "
                                    + earlier.address().at() + ")");
                }
            }
            String key = isLocalScope(h.address().host())
                    ? "IP " + h.label() + ":" + h.address().hostPort() : "IP " + h.address().hostPort();
            unique(key, h.address().at(), "address " + h.address().hostPort() + " is already used",
                    "every resource listens on its own address:port");
        }
        if (dialect == Dialect.DRBD9) {
            boolean any = r.hosts().stream().anyMatch(h -> h.nodeId().isPresent());
            Set<Integer> ids = new HashSet<>();
            for (Host h : r.hosts()) {
                if (any && h.nodeId().isEmpty() && !h.floating()) {
                    throw new ConfigException(h.at(), "in resource " + r.name() + ", " + h.label()
                            + " has no node-id while other hosts have one", "give every host a node-id N;");
                }
                if (h.nodeId().isPresent() && !ids.add(h.nodeId().getAsInt())) {
                    throw new ConfigException(h.at(), "in resource " + r.name() + ", node-id "
                            + h.nodeId().getAsInt() + " is used twice", "node-ids are unique within a resource");
                }
            }
        }
    }

    private void checkVolumes(ResourceConfig r) {
        Set<Integer> firstSet = null;
        Host first = null;
        for (Host h : r.hosts()) {
            List<Volume> volumes = r.volumesOn(h);
            if (volumes.isEmpty()) {
                throw new ConfigException(h.at(), "in resource " + r.name() + ", " + h.label()
                        + " { ... }: no volume (device, disk and meta-disk missing)",
                        "add device, disk and meta-disk to the resource or to this host section");
            }
            boolean implicit = volumes.stream().anyMatch(Volume::implicit);
            boolean explicit = volumes.stream().anyMatch(v -> !v.implicit());
            if (implicit && explicit) {
                throw new ConfigException(h.at(), "in resource " + r.name() + ", " + h.label()
                        + ": you must not mix implicit and explicit volumes", "use 'volume N { }' blocks throughout");
            }
            Set<Integer> numbers = new TreeSet<>();
            for (Volume v : volumes) {
                numbers.add(v.number());
                String missing = !v.hasDevice() ? "device" : v.disk().isEmpty() ? "disk"
                        : v.metaDisk().isEmpty() ? "meta-disk" : null;
                if (missing != null) {
                    throw new ConfigException(h.at(), "in resource " + r.name() + ", " + h.label() + " { ... }: '"
                            + missing + "' keyword missing" + (v.implicit() ? "" : " in volume " + v.number()),
                            "add '" + missing + " ...;' to the resource (for every host) or to this host section");
                }
                for (String name : h.names()) {
                    unique("minor " + name + ":" + v.minor(), h.at(), "device minor " + v.minor()
                            + " is already used on host " + name, "give each volume on a host its own minor");
                    if (!v.disk().get().equals("none")) {
                        unique("disk " + name + ":" + v.disk().get(), h.at(), "disk " + v.disk().get()
                                + " is already used on host " + name, "a backing disk belongs to one volume");
                    }
                    if (v.metaDisk().get() instanceof MetaDisk.Indexed m) {
                        unique("md " + name + ":" + m.path() + "[" + m.index() + "]", h.at(), "meta-disk "
                                + m.path() + "[" + m.index() + "] is already used on host " + name,
                                "give each volume its own meta-disk index");
                    } else if (v.metaDisk().get() instanceof MetaDisk.Flexible m) {
                        unique("md " + name + ":" + m.path(), h.at(), "meta-disk " + m.path()
                                + " is already used on host " + name, "a flexible meta-disk holds one volume");
                    }
                }
            }
            if (firstSet == null) {
                firstSet = numbers;
                first = h;
            } else if (!firstSet.equals(numbers)) {
                throw new ConfigException(h.at(), "in resource " + r.name() + ", " + h.label() + " has volumes "
                        + numbers + " but " + first.label() + " has " + firstSet,
                        "define the same volumes on every host");
            }
        }
    }

    private void checkConnections(ResourceConfig r) {
        for (ConnectionMesh mesh : r.meshes()) {
            for (String host : mesh.hosts()) {
                requireHost(r, host, mesh.at(), "connection-mesh");
            }
        }
        for (Connection c : r.connections()) {
            for (List<Connection.Endpoint> path : c.paths()) {
                for (Connection.Endpoint e : path) {
                    requireHost(r, e.host(), e.at(), "connection");
                }
            }
        }
    }

    private static void requireHost(ResourceConfig r, String host, SourcePosition at, String where) {
        if (r.host(host).isEmpty()) {
            throw new ConfigException(at, "host '" + host + "' in " + where + " not found in resource " + r.name(),
                    "the resource defines: " + String.join(", ", r.hostNames()));
        }
    }

    private void unique(String key, SourcePosition at, String problem, String hint) {
        SourcePosition first = used.putIfAbsent(key, at);
        if (first != null) {
            throw new ConfigException(at, problem + " (first at " + first + ")", hint);
        }
    }

    /** drbdadm lets loopback addresses repeat on different hosts: each host has its own. */
    static boolean isLocalScope(String address) {
        return address.startsWith("127.") || address.equals("::1");
    }
}
