package uk.e42.tandem.node;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Optional;
import uk.e42.tandem.tunnel.TlsMode;

/**
 * Tandem-only settings (DESIGN.md "Conventions"). drbd.conf stays valid DRBD: whatever DRBD has no
 * keyword for lives here, settable as {@code tandem.*} properties or {@code TANDEM_*} env vars.
 * The CLI reads the same mapping, so the daemon and its clients agree on addresses.
 */
@ConfigMapping(prefix = "tandem")
public interface TandemConfig {

    /** The drbd.conf to load. */
    @WithDefault("/etc/drbd.conf")
    Path config();

    /** This node's name for `on HOST` sections; the hostname when absent. */
    @WithName("node-name")
    Optional<String> nodeName();

    /**
     * Node state kept between runs: the last known size of each backing device with internal meta data
     * ({@code drbd-minor-N.lkbd}, as drbd-utils keeps them in /var/lib/drbd), read by check-resize and attach.
     */
    @WithName("state-dir")
    @WithDefault("/var/lib/tandem")
    Path stateDir();

    Admin admin();

    Nbd nbd();

    Tls tls();

    @WithName("fault-injection")
    FaultInjectionSettings faultInjection();

    /** A testing aid (docs/fault-injection.md): backing disks that fail on purpose. Never in production. */
    interface FaultInjectionSettings {
        /** Off by default; when on, every backing disk is wrapped in a fault-injecting store. */
        @WithDefault("false")
        boolean enabled();

        /** The plan file (disk.FaultPlan's format), watched while the daemon runs. */
        Optional<Path> file();
    }

    interface Admin {
        /** host:port of the admin gRPC API; the CLI connects to the same. */
        @WithDefault("127.0.0.1:7800")
        String address();
    }

    interface Nbd {
        @WithDefault("127.0.0.1")
        String host();

        @WithDefault("10809")
        int port();

        /** Threads per NBD connection that run its requests side by side (nbdkit's --threads). */
        @WithDefault("16")
        int threads();
    }

    /** Peer link security (tunnel.LinkSecurity). */
    interface Tls {
        /** static-key, pem or plaintext. */
        @WithDefault("static-key")
        TlsMode mode();

        /** The shared OpenVPN-format static key (static-key mode). */
        @WithDefault("/etc/tandem/static.key")
        Path keyFile();

        /** PEM mode: CA certificate(s) peers must chain to. */
        Optional<Path> caFile();

        /** PEM mode: this node's certificate (chain). */
        Optional<Path> certFile();

        /** PEM mode: this node's private key. */
        Optional<Path> privateKeyFile();
    }
}
