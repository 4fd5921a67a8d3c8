package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

/** The server checked with the real clients from Debian: libnbd's nbdinfo and nbdcopy, qemu's qemu-io. */
@E2e(tools = {"nbdinfo", "nbdcopy", "qemu-io"})
class NbdClientToolsTest {
    static final long SIZE = 256L << 20;
    @TempDir
    Path dir;
    TestNbdServer nbd;

    @BeforeEach
    void start() throws IOException {
        nbd = new TestNbdServer(dir.resolve("disk"), SIZE);
    }

    @AfterEach
    void stop() throws IOException {
        nbd.close();
    }

    @Test
    void nbdinfoShowsSizeFlagsAndBlockSizesUnderBothNames() {
        for (String name : List.of("replicated0", "drbd0")) {
            String out = Tools.run(Tools.path("nbdinfo"), nbd.uri(name)).orFail().stdout();
            assertTrue(out.contains("export-size: " + SIZE), out);
            for (String flag : List.of("can_flush: true", "can_fua: true", "can_trim: true", "can_zero: true",
                    "can_multi_conn: true", "is_read_only: false", "block_size_minimum: 512",
                    "block_size_maximum: 33554432")) {
                assertTrue(out.contains(flag), flag + " missing in:\n" + out);
            }
        }
        String list = Tools.run(Tools.path("nbdinfo"), "--list", nbd.uri("")).orFail().stdout();
        assertTrue(list.contains("/replicated0") && list.contains("/drbd0"), list);
    }

    @Test
    void aSecondaryIsReadOnlyForNbdinfoAndQemuIoCannotWrite() {
        nbd.refusal.set("replicated0 is Secondary");
        String out = Tools.run(Tools.path("nbdinfo"), nbd.uri("drbd0")).orFail().stdout();
        assertTrue(out.contains("is_read_only: true") && out.contains("can_trim: false"), out);
        Tools.Result write = Tools.run(Tools.path("qemu-io"), "-f", "raw", "-c", "write -P 0x11 0 4k", nbd.uri("drbd0"));
        assertTrue(write.exitCode() != 0 || !write.stdout().contains("wrote 4096/4096"), write.stdout() + write.stderr());
    }

    @Test
    void qemuIoPatternsAtManyOffsetsAndSizesIncludingTheLastBlock() {
        List<String> commands = new ArrayList<>();
        // Disjoint spots, aligned and not (qemu does read-modify-write below the 512-byte minimum), up to the
        // largest request and the export's last bytes.
        long[][] spots = {{0, 512}, {512, 3584}, {8192, 65536}, {100_000, 3000}, {(1 << 20) - 7, 9}, {3 << 20, 1 << 20},
            {(5 << 20) + 4096, 8 << 20}, {100L << 20, 32 << 20}, {SIZE - (1 << 20) - 100, (1 << 20) + 100 - 4608},
            {SIZE - 4608, 4096}, {SIZE - 512, 512}};
        int pattern = 1;
        for (long[] spot : spots) {
            commands.add("write -P " + pattern + " " + spot[0] + " " + spot[1]);
            pattern++;
        }
        pattern = 1;
        for (long[] spot : spots) {
            commands.add("read -P " + pattern + " " + spot[0] + " " + spot[1]);
            pattern++;
        }
        commands.add("write -z " + (200L << 20) + " 4M");
        commands.add("read -P 0 " + (200L << 20) + " 4M");
        commands.add("discard " + (210L << 20) + " 1M");
        commands.add("flush");
        List<String> argv = new ArrayList<>(List.of(Tools.path("qemu-io"), "-f", "raw"));
        commands.forEach(c -> argv.addAll(List.of("-c", c)));
        argv.add(nbd.uri("replicated0"));
        Tools.Result r = Tools.run(argv, null).orFail();
        assertFalse(r.stdout().contains("Pattern verification failed") || r.stderr().contains("failed"),
                r.stdout() + r.stderr());
        assertEquals(spots.length * 2 + 2, r.stdout().lines().filter(l -> l.matches("(wrote|read) \\d+/\\d+ bytes.*"))
                .count(), r.stdout());
    }

    @Test
    void nbdcopyA256MiBRandomImageInAndOutUnchanged() throws Exception {
        Path image = dir.resolve("image");
        byte[] block = new byte[1 << 20];
        Random random = new Random(42);
        try (var out = Files.newOutputStream(image)) {
            for (int i = 0; i < SIZE >> 20; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
        Tools.run(Tools.path("nbdcopy"), "--flush", image.toString(), nbd.uri("replicated0")).orFail();
        Path back = dir.resolve("back");
        Tools.run(Tools.path("nbdcopy"), nbd.uri("drbd0"), back.toString()).orFail();
        assertEquals(sha256(image), sha256(back));
        assertEquals(sha256(image), sha256(nbd.file));
    }

    @Test
    void severalClientsAtOnce() throws Exception {
        List<Process> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            long base = (long) i * (32 << 20);
            clients.add(new ProcessBuilder(Tools.path("qemu-io"), "-f", "raw", "-c", "write -P " + (i + 1) + " " + base
                    + " 16M", "-c", "read -P " + (i + 1) + " " + base + " 16M", nbd.uri(i % 2 == 0 ? "replicated0"
                    : "drbd0")).redirectErrorStream(true).start());
        }
        for (Process p : clients) {
            assertTrue(p.waitFor(5, TimeUnit.MINUTES));
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.exitValue(), out);
            assertFalse(out.contains("failed"), out);
        }
        Tools.Result verify = Tools.run(Tools.path("qemu-io"), "-f", "raw", "-c", "read -P 6 " + (5L * (32 << 20))
                + " 16M", nbd.uri("replicated0")).orFail();
        assertFalse(verify.stdout().contains("failed"), verify.stdout());
    }

    static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
