package uk.e42.tandem.config;

import java.util.List;
import java.util.Optional;

/**
 * A resource as one node runs it: its own host section, its peers, and the effective options
 * (common, then resource, then host or volume; DRBD's defaults for anything not set).
 *
 * @param me      this node's host section (its {@code address} is where it listens)
 * @param peers   the other host sections; DRBD 8.4 has exactly one
 * @param disk    the resource-wide disk options; per volume see {@link ResolvedVolume#diskOptions()}
 * @param options the resource options ({@code cpu-mask}, {@code on-no-data-accessible})
 */
public record ResolvedResource(String name, Host me, List<Host> peers, List<ResolvedVolume> volumes, NetConfig net,
        DiskConfig disk, Options options, Options startup, Options handlers, ResourceConfig source) {
    public ResolvedResource {
        peers = List.copyOf(peers);
        volumes = List.copyOf(volumes);
    }

    /** The peer of a two-node resource; empty for a single host or (DRBD 9) several. */
    public Optional<Host> peer() {
        return peers.size() == 1 ? Optional.of(peers.get(0)) : Optional.empty();
    }

    public Address address() {
        return me.address();
    }

    public Optional<Integer> nodeId() {
        return me.nodeId().isPresent() ? Optional.of(me.nodeId().getAsInt()) : Optional.empty();
    }

    /** A handler command, if configured. */
    public Optional<String> handler(String name) {
        return handlers.value(name);
    }
}
