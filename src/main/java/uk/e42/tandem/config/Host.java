package uk.e42.tandem.config;

import java.util.List;
import java.util.OptionalInt;

/**
 * An {@code on NAME [NAME...] { ... }} or {@code floating ADDR { ... }} section as written (volumes
 * only with what this section itself says; see {@link ResourceConfig#volumesOn}).
 *
 * @param names   the host names; for floating, drbdadm's stand-in name {@code ADDR:PORT}
 * @param options the section's own {@code options { }} (resource options for this host)
 * @param nodeId  DRBD 9's {@code node-id}
 */
public record Host(List<String> names, boolean floating, Address address, OptionalInt nodeId, List<Volume> volumes,
        Options options, SourcePosition at) {
    public Host {
        names = List.copyOf(names);
        volumes = List.copyOf(volumes);
    }

    public boolean isNamed(String name) {
        return !floating && names.contains(name);
    }

    /** How messages name this section: {@code on alpha bravo} or {@code floating ipv4 10.0.0.1:7789}. */
    /** The name the peer link knows this host by: its first name, or the address of a floating host. */
    public String nodeName() {
        return floating ? address.host() : names.get(0);
    }

    public String label() {
        return floating ? "floating " + address : "on " + String.join(" ", names);
    }
}
