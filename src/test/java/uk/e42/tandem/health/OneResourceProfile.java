package uk.e42.tandem.health;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import uk.e42.tandem.meta.MetaDataTool;
import uk.e42.tandem.meta.MetaDisk;

/**
 * A node with one resource r0 on an 8 MiB file disk under target/, fresh meta data (Inconsistent),
 * a peer that never answers, plaintext link: what health, metrics and /proc/drbd see of a real
 * Resource, driven through the admin API.
 */
public class OneResourceProfile implements QuarkusTestProfile {
    static final Path DIR = Path.of("target", "one-resource").toAbsolutePath();
    private static Map<String, String> overrides;

    @Override
    public synchronized Map<String, String> getConfigOverrides() {
        if (overrides == null) {
            overrides = prepare();
        }
        return overrides;
    }

    private static Map<String, String> prepare() {
        try {
            Files.createDirectories(DIR);
            Path disk = DIR.resolve("disk.img");
            Files.deleteIfExists(disk);
            try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
                file.setLength(8L << 20);
            }
            MetaDataTool.createMd(disk, new MetaDisk.Internal(), MetaDataTool.CreateOptions.DEFAULTS,
                    MetaDataTool.Confirmation.FORCE);
            Path conf = DIR.resolve("drbd.conf");
            Files.writeString(conf, """
                    resource r0 {
                        device /dev/drbd0;
                        meta-disk internal;
                        on testnode { disk %s; address 127.0.0.1:%d; }
                        on faraway  { disk /dev/sdb1; address 127.0.0.1:%d; }
                    }
                    """.formatted(disk, freePort(), freePort()));
            return Map.of("tandem.config", conf.toString(), "tandem.tls.mode", "plaintext",
                    "tandem.nbd.port", String.valueOf(freePort()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
