package uk.e42.tandem.config;

import java.util.List;

/** DRBD 9's {@code connection-mesh { hosts A B C; net { } }}: a full mesh between those hosts. */
public record ConnectionMesh(List<String> hosts, Options net, SourcePosition at) {
    public ConnectionMesh {
        hosts = List.copyOf(hosts);
    }
}
