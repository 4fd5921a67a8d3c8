package uk.e42.tandem.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** dump → parse → dump is stable for random valid configurations. */
class DumpRoundTripProperties {

    @Property(tries = 300)
    void dumpParsesBackToTheSameDump(@ForAll("configs") String text) throws IOException {
        Path dir = Files.createTempDirectory("tandem-roundtrip");
        try {
            Path source = dir.resolve("source.conf");
            Files.writeString(source, text);
            String first = dump(source);
            Path dumped = dir.resolve("dumped.conf");
            Files.writeString(dumped, first);
            String second = dump(dumped);
            Files.writeString(dumped, second);
            String third = dump(dumped);
            assertEquals(second, third, "the dump of a dump is not a fixpoint");
            // the file name and the "defined at" lines name the file that was read, so they differ
            // between the original and its dump; everything else must be identical
            assertEquals(withoutOrigin(first), withoutOrigin(second), "dump changed meaning for:\n" + text);
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.delete(dir);
        }
    }

    private static String dump(Path file) {
        DrbdConfig config = ConfigParser.parse(file);
        return ConfigDumper.dumpAll(config, config.forNode("alpha", LocalAddresses.none()));
    }

    private static String withoutOrigin(String dump) {
        return dump.lines().filter(l -> !l.startsWith("# /") && !l.startsWith("# defined at "))
                .reduce("", (a, b) -> a + b + "\n");
    }

    @Provide
    Arbitrary<String> configs() {
        return Combinators.combine(global(), common(), Arbitraries.integers().between(1, 3)
                .flatMap(n -> resources(n))).as((g, c, r) -> g + c + r);
    }

    /**
     * Not generated: {@code cmd-timeout-medium 121} and {@code cmd-timeout-long 600}. drbdadm-84 hides
     * those values (its documented defaults) although it starts from 600 and 0, so its own dump of
     * them reads back as different timeouts; Tandem prints what drbdadm prints.
     */
    private static Arbitrary<String> global() {
        return Combinators.combine(Arbitraries.of("", "usage-count no;", "usage-count yes;"),
                Arbitraries.of("", "minor-count 32;", "dialog-refresh 3;", "disable-ip-verification;"),
                Arbitraries.of("", "cmd-timeout-medium 300;", "cmd-timeout-long 30;", "udev-always-use-vnr;"))
                .as((a, b, c) -> a.isEmpty() && b.isEmpty() && c.isEmpty() ? "" : "global { " + a + b + c + " }\n");
    }

    private static Arbitrary<String> common() {
        return Combinators.combine(section("net", netOption()), section("disk", diskOption()),
                section("startup", startupOption()), section("syncer", syncerOption()), Arbitraries.of(true, false))
                .as((n, d, s, y, present) -> present ? "common {\n" + n + d + s + y + "}\n" : "");
    }

    private static Arbitrary<String> resources(int count) {
        List<Arbitrary<String>> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(resource(i));
        }
        return Combinators.combine(all).as(parts -> String.join("", parts));
    }

    private static Arbitrary<String> resource(int i) {
        Arbitrary<String> volumes = Arbitraries.integers().between(0, 2).map(explicit -> {
            if (explicit == 0) {
                return "  device /dev/drbd" + (10 * i) + ";\n  disk /dev/vg/r" + i + ";\n  meta-disk internal;\n";
            }
            StringBuilder s = new StringBuilder();
            for (int v = 0; v < explicit; v++) {
                s.append("  volume ").append(v).append(" { device minor ").append(10 * i + v)
                        .append("; disk \"/dev/vg/r").append(i).append(" v").append(v)
                        .append("\"; meta-disk /dev/vg/md[").append(10 * i + v).append("]; }\n");
            }
            return s.toString();
        });
        Arbitrary<String> hosts = Arbitraries.integers().between(1, 3).map(n -> {
            StringBuilder s = new StringBuilder();
            String[] names = {"alpha", "bravo", "charlie"};
            for (int h = 0; h < n; h++) {
                s.append(h == 2 ? "  on charlie \"charlie.example\" {" : "  on " + names[h] + " {")
                        .append(" address ").append(h == 1 ? "ipv6 [fd00::" + (h + 1) + "]" : "10.0." + i + "." + (h + 1))
                        .append(":").append(7788 + i).append("; }\n");
            }
            return s.toString();
        });
        return Combinators.combine(volumes, hosts, section("net", netOption()), section("disk", diskOption()),
                section("handlers", handler()), section("options", resourceOption()), Arbitraries.of("", "protocol b;\n"))
                .as((v, h, n, d, hd, o, p) -> "resource r" + i + " {\n" + p + v + h + n + d + hd + o + "}\n");
    }

    private static Arbitrary<String> section(String name, Arbitrary<String> option) {
        return option.list().ofMaxSize(4).map(options -> options.isEmpty() ? ""
                : "  " + name + " {\n" + options.stream().map(o -> "    " + o + "\n").reduce("", String::concat)
                        + "  }\n");
    }

    private static Arbitrary<String> netOption() {
        return Arbitraries.oneOf(
                Arbitraries.of("A", "B", "C", "c").map(p -> "protocol " + p + ";"),
                Arbitraries.of("use-rle;", "use-rle no;", "no-tcp-cork;", "allow-two-primaries yes;"),
                Arbitraries.integers().between(1, 600).map(t -> "timeout " + t + ";"),
                Arbitraries.of("0", "512k", "10M", "1048576").map(s -> "sndbuf-size " + s + ";"),
                Arbitraries.strings().withChars("ab \"\\x-9").ofMinLength(0).ofMaxLength(12)
                        .map(s -> "shared-secret \"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\";"),
                Arbitraries.of("discard-zero-changes", "disconnect", "discard-local").map(p -> "after-sb-0pri " + p + ";"),
                Arbitraries.of("sha1", "md5", "crc32c").map(a -> "csums-alg " + a + ";"));
    }

    private static Arbitrary<String> diskOption() {
        return Arbitraries.oneOf(
                Arbitraries.of("1M", "250", "100M", "40960k").map(r -> "resync-rate " + r + ";"),
                Arbitraries.of("no-disk-flushes;", "md-flushes no;", "disk-barrier;"),
                Arbitraries.of("detach", "pass_on").map(p -> "on-io-error " + p + ";"),
                Arbitraries.integers().between(0, 300).map(c -> "c-plan-ahead " + c + ";"),
                Arbitraries.of("8K", "100", "16s").map(c -> "c-fill-target " + c + ";"),
                Arbitraries.integers().between(67, 6433).map(a -> "al-extents " + a + ";"));
    }

    private static Arbitrary<String> syncerOption() {
        return Arbitraries.of("rate 1M;", "al-extents 257;", "verify-alg sha1;", "csums-alg md5;", "use-rle;",
                "c-max-rate 100M;", "cpu-mask 3;");
    }

    private static Arbitrary<String> startupOption() {
        return Arbitraries.of("wfc-timeout 10;", "degr-wfc-timeout 60;", "wait-after-sb;",
                "become-primary-on alpha;", "become-primary-on both;");
    }

    private static Arbitrary<String> handler() {
        return Arbitraries.of("split-brain \"/usr/lib/drbd/notify-split-brain.sh root\";", "fence-peer /bin/true;",
                "outdate-peer \"echo 'x'\";", "local-io-error \"a\\\\b\";");
    }

    private static Arbitrary<String> resourceOption() {
        return Arbitraries.of("cpu-mask ff;", "on-no-data-accessible suspend-io;");
    }

}
