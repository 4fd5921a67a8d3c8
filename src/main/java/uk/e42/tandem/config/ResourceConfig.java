package uk.e42.tandem.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * One {@code resource NAME { }} as written (common not merged in; {@link DrbdConfig#forNode} does
 * that).
 *
 * @param at      where drbdadm says it is defined: the file and the line of the opening brace
 * @param volumes the resource-level volumes (device/disk/meta-disk outside host sections)
 */
public record ResourceConfig(String name, SourcePosition at, List<Host> hosts, List<Volume> volumes,
        Sections sections, List<Connection> connections, List<ConnectionMesh> meshes) {
    public ResourceConfig {
        hosts = List.copyOf(hosts);
        volumes = List.copyOf(volumes);
        connections = List.copyOf(connections);
        meshes = List.copyOf(meshes);
    }

    public Optional<Host> host(String hostName) {
        return hosts.stream().filter(h -> h.isNamed(hostName)).findFirst();
    }

    /** The host names of all {@code on} sections (floating ones by address), for messages. */
    public List<String> hostNames() {
        List<String> names = new ArrayList<>();
        for (Host h : hosts) {
            names.addAll(h.floating() ? List.of(h.address().toString()) : h.names());
        }
        return names;
    }

    /**
     * The volumes of {@code host} with device, disk and meta-disk inherited from the resource level,
     * sorted by number, as drbdadm does before it prints or uses them. Disk options of a
     * resource-level volume are not in these (drbdadm does not copy them either); {@link DrbdConfig#forNode}
     * applies them.
     */
    public List<Volume> volumesOn(Host host) {
        List<Volume> merged = new ArrayList<>(host.volumes());
        for (Volume outer : volumes) {
            int i = indexOf(merged, outer.number());
            if (i < 0) {
                merged.add(new Volume(outer.number(), outer.implicit(), outer.devicePath(), outer.minor(),
                        outer.disk(), outer.metaDisk(), Options.EMPTY, outer.at()));
            } else {
                merged.set(i, merged.get(i).inheriting(outer));
            }
        }
        merged.sort(Comparator.comparingInt(Volume::number));
        return List.copyOf(merged);
    }

    Optional<Volume> resourceVolume(int number) {
        return volumes.stream().filter(v -> v.number() == number).findFirst();
    }

    private static int indexOf(List<Volume> volumes, int number) {
        for (int i = 0; i < volumes.size(); i++) {
            if (volumes.get(i).number() == number) {
                return i;
            }
        }
        return -1;
    }
}
