package uk.e42.tandem.config;

import java.util.List;
import java.util.Optional;

/**
 * DRBD 9's {@code connection [NAME] { host A ...; host B ...; net { } }}, kept so the file round
 * trips; Tandem's two-node replication does not act on it yet.
 *
 * @param paths         each path's host endpoints; one implicit path when the hosts sit directly
 *                      in the connection
 * @param explicitPaths written as {@code path { }} blocks
 */
public record Connection(Optional<String> name, List<List<Endpoint>> paths, boolean explicitPaths, Options net,
        Options disk, SourcePosition at) {
    public Connection {
        paths = paths.stream().map(List::copyOf).toList();
    }

    /** {@code host NAME [address [AF] ADDR:PORT | port N];} */
    public record Endpoint(String host, Optional<Address> address, Optional<Integer> port, SourcePosition at) {
    }
}
