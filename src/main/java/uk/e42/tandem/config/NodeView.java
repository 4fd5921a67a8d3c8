package uk.e42.tandem.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One node's view of a {@link DrbdConfig}: the resources it takes part in (an {@code on} section
 * with its name, or a {@code floating} section with one of its addresses), each resolved with
 * common inherited and DRBD's defaults behind every option. Resources without this node are
 * ignored, as drbdadm ignores them.
 */
public final class NodeView {
    private final DrbdConfig config;
    private final String nodeName;
    private final LocalAddresses local;

    NodeView(DrbdConfig config, String nodeName, LocalAddresses local) {
        this.config = config;
        this.nodeName = nodeName;
        this.local = local;
    }

    public String nodeName() {
        return nodeName;
    }

    /** The host section that is this node, if the resource has one. */
    public Optional<Host> me(ResourceConfig r) {
        for (Host h : r.hosts()) {
            if (h.floating() ? local.has(h.address().host()) : h.isNamed(nodeName)) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    public boolean takesPart(ResourceConfig r) {
        return me(r).isPresent();
    }

    /** The resources this node takes part in, in file order. */
    public List<ResolvedResource> resources() {
        List<ResolvedResource> mine = new ArrayList<>();
        for (ResourceConfig r : config.resources()) {
            if (takesPart(r)) {
                mine.add(resolve(r));
            }
        }
        return List.copyOf(mine);
    }

    public List<String> resourceNames() {
        return resources().stream().map(ResolvedResource::name).toList();
    }

    /**
     * One resource as this node runs it.
     *
     * @throws ConfigException when there is no such resource, or this node is not one of its hosts
     */
    public ResolvedResource resource(String name) {
        ResourceConfig r = config.resource(name).orElseThrow(() -> new ConfigException(
                new SourcePosition(config.file(), 1, 1), "'" + name + "' not defined in your config",
                "defined resources: " + String.join(", ", config.resourceNames())));
        if (!takesPart(r)) {
            throw new ConfigException(r.at(), "resource " + name + " has no host section for this node '"
                    + nodeName + "' (hosts found: " + String.join(", ", r.hostNames()) + ")",
                    "set tandem.node-name (TANDEM_NODE_NAME) to one of them, or add 'on " + nodeName + " { }'");
        }
        return resolve(r);
    }

    /**
     * drbdadm drops a {@code resync-after} naming a resource this node does not run ("not known on
     * this host"): there is nothing to wait for.
     */
    Options withoutForeignResyncAfter(Options disk) {
        if (disk.list().stream().noneMatch(o -> o.name().equals("resync-after"))) {
            return disk;
        }
        return new Options(disk.list().stream().filter(o -> !o.name().equals("resync-after")
                || config.resource(o.value()).filter(this::takesPart).isPresent()).toList());
    }

    private ResolvedResource resolve(ResourceConfig r) {
        Host me = me(r).orElseThrow();
        List<Host> peers = r.hosts().stream().filter(h -> h != me).toList();
        Sections own = r.sections();
        Sections inherited = config.common().orElse(Sections.EMPTY).then(new Sections(own.options(), own.net(),
                withoutForeignResyncAfter(own.disk()), own.startup(), own.handlers()));
        Options resourceOptions = inherited.options().then(me.options());
        List<ResolvedVolume> volumes = new ArrayList<>();
        for (Volume v : r.volumesOn(me)) {
            Options diskOptions = inherited.disk();
            Optional<Volume> outer = r.resourceVolume(v.number());
            if (outer.isPresent() && !outer.get().implicit()) {
                diskOptions = diskOptions.then(withoutForeignResyncAfter(outer.get().diskOptions()));
            }
            diskOptions = diskOptions.then(withoutForeignResyncAfter(v.diskOptions()));
            volumes.add(new ResolvedVolume(v.number(), v.devicePath().orElse("/dev/drbd" + v.minor()), v.minor(),
                    v.disk().orElseThrow(), v.metaDisk().orElseThrow(), new DiskConfig(diskOptions)));
        }
        return new ResolvedResource(r.name(), me, peers, volumes, new NetConfig(inherited.net()),
                new DiskConfig(inherited.disk()), resourceOptions, inherited.startup(), inherited.handlers(), r);
    }
}
