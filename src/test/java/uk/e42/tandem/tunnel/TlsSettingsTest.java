package uk.e42.tandem.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.PropertiesConfigSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.node.TandemConfig;

/** The tandem.tls.* names and defaults DESIGN.md promises, read the way the daemon reads them. */
class TlsSettingsTest {
    private static TandemConfig.Tls tls(Map<String, String> properties) {
        return new SmallRyeConfigBuilder().withMapping(TandemConfig.class)
                .withSources(new PropertiesConfigSource(properties, "test", 500)).build()
                .getConfigMapping(TandemConfig.class).tls();
    }

    @Test
    void staticKeyFromEtcTandemIsTheDefault() {
        TandemConfig.Tls tls = tls(Map.of());
        assertEquals(TlsMode.STATIC_KEY, tls.mode());
        assertEquals(Path.of("/etc/tandem/static.key"), tls.keyFile());
        assertEquals(Optional.empty(), tls.caFile());
    }

    @Test
    void pemModeWithItsThreeFiles() {
        TandemConfig.Tls tls = tls(Map.of("tandem.tls.mode", "pem", "tandem.tls.ca-file", "/run/tls/ca.crt",
                "tandem.tls.cert-file", "/run/tls/tls.crt", "tandem.tls.private-key-file", "/run/tls/tls.key"));
        assertEquals(TlsMode.PEM, tls.mode());
        assertEquals(Optional.of(Path.of("/run/tls/ca.crt")), tls.caFile());
        assertEquals(Optional.of(Path.of("/run/tls/tls.crt")), tls.certFile());
        assertEquals(Optional.of(Path.of("/run/tls/tls.key")), tls.privateKeyFile());
    }

    @Test
    void theModesAreSpelledAsDocumented() {
        assertEquals(TlsMode.STATIC_KEY, tls(Map.of("tandem.tls.mode", "static-key")).mode());
        assertEquals(TlsMode.PLAINTEXT, tls(Map.of("tandem.tls.mode", "plaintext")).mode());
        RuntimeException wrong = assertThrows(RuntimeException.class, () -> tls(Map.of("tandem.tls.mode", "none")));
        assertTrue(wrong.getMessage().contains("none"), wrong.getMessage());
    }
}
