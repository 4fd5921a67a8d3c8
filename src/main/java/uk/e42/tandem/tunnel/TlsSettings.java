package uk.e42.tandem.tunnel;

import java.nio.file.Path;
import java.util.Optional;

/** The {@code tandem.tls.*} settings, as {@code node.TandemConfig.Tls} carries them. */
public record TlsSettings(TlsMode mode, Path keyFile, Optional<Path> caFile, Optional<Path> certFile,
        Optional<Path> privateKeyFile) {
}
