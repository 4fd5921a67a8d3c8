package uk.e42.tandem.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed drbd.conf files: each stops the parse with one exact message at one exact place. */
class ConfigParserErrorTest {
    private static final String HOSTS = """
              on a { address 10.0.0.1:7789; }
              on b { address 10.0.0.2:7789; }
            """;
    private static final String VOLUME = "  device /dev/drbd0; disk /dev/sdb; meta-disk internal;\n";

    @TempDir
    Path dir;

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("missing semicolon", """
                        resource r0 {
                          net {
                            protocol A
                            cram-hmac-alg sha1;
                          }
                        }
                        """, "4:5", "expected ';' after 'protocol A', got 'cram-hmac-alg'"),
                Arguments.of("misspelt option", "resource r0 {\n  net { protcol C; }\n}\n", "2:9",
                        "unknown option 'protcol' in the net section"),
                Arguments.of("unknown section", "resource r0 {\n  nett { }\n}\n", "2:3",
                        "unknown keyword 'nett' in resource r0"),
                Arguments.of("option in the wrong section", "resource r0 {\n  net { resync-rate 10M; }\n}\n", "2:9",
                        "'resync-rate' is not a net option"),
                Arguments.of("not an 8.3 syncer option", "common {\n  syncer { protocol C; }\n}\n", "2:12",
                        "'protocol' is not a syncer option"),
                Arguments.of("bad choice", "resource r0 {\n  net { after-sb-0pri discard-everything; }\n}\n", "2:23",
                        "bad value 'discard-everything' for after-sb-0pri"),
                Arguments.of("number out of range", "common { net { timeout 0; } }\n", "1:24",
                        "timeout 0 is out of range: 0 is not in [1..600]"),
                Arguments.of("size out of range", "common { net { sndbuf-size 100M; } }\n", "1:28",
                        "sndbuf-size 100M is out of range: 104857600 is not in [0..10485760]"),
                Arguments.of("bad number", "common { disk { resync-rate 10X; } }\n", "1:29",
                        "bad value '10X' for resync-rate"),
                Arguments.of("bad protocol", "common { protocol D; }\n", "1:19", "bad value 'D' for protocol"),
                Arguments.of("bad flag value", "common { net { use-rle maybe; } }\n", "1:24",
                        "expected yes, no or ';' after 'use-rle', got 'maybe'"),
                Arguments.of("duplicate resource", "resource r0 {\n" + VOLUME + HOSTS + "}\nresource r0 {\n"
                        + VOLUME + HOSTS + "}\n", "6:10", "duplicate resource 'r0'"),
                Arguments.of("duplicate address:port", "resource r0 {\n" + VOLUME + HOSTS + "}\nresource r1 {\n"
                        + "  device /dev/drbd1; disk /dev/sdc; meta-disk internal;\n" + HOSTS + "}\n", "8:10",
                        "address 10.0.0.1:7789 is already used (first at F:3:10)"),
                Arguments.of("two hosts with the same address", "resource r0 {\n" + VOLUME
                        + "  on a { address 10.0.0.1:7789; }\n  on b { address 10.0.0.1:7789; }\n}\n", "4:10",
                        "in resource r0, on b and on a have the same address 10.0.0.1:7789"),
                Arguments.of("host not found", "resource r0 {\n" + VOLUME + "  on a { node-id 0; address "
                        + "10.0.0.1:7789; }\n  on b { node-id 1; address 10.0.0.2:7789; }\n"
                        + "  connection-mesh { hosts a b c; }\n}\n", "5:3",
                        "host 'c' in connection-mesh not found in resource r0"),
                Arguments.of("address missing", "resource r0 {\n" + VOLUME + "  on a { }\n}\n", "3:3",
                        "in resource r0, on a { ... }: 'address' keyword missing"),
                Arguments.of("disk missing", "resource r0 {\n  device /dev/drbd0; meta-disk internal;\n" + HOSTS
                        + "}\n", "3:3", "in resource r0, on a { ... }: 'disk' keyword missing"),
                Arguments.of("unterminated string", "common { net { shared-secret \"abc; } }\n", "1:30",
                        "unterminated double-quoted string"),
                Arguments.of("unexpected character", "common { net { shared-secret se@cret; } }\n", "1:32",
                        "unexpected character '@'"),
                Arguments.of("end of file inside a resource", "resource r0 {\n" + VOLUME, "3:1",
                        "end of file inside resource r0 (opened at F:1:13)"),
                Arguments.of("missing include", "include \"nothere.conf\";\n", "1:9",
                        "cannot open include file 'nothere.conf'"),
                Arguments.of("device not a drbd device", "resource r0 {\n  device /dev/sdb;\n}\n", "2:10",
                        "device name must start with /dev/drbd, got '/dev/sdb'"),
                Arguments.of("minor does not match the name", "resource r0 {\n  device /dev/drbd1 minor 2;\n}\n",
                        "2:3", "explicit minor 2 does not match device /dev/drbd1"),
                Arguments.of("minor used twice on a host", "resource r0 {\n" + VOLUME + HOSTS + "}\nresource r1 {\n"
                        + "  device /dev/drbd0; disk /dev/sdc; meta-disk internal;\n"
                        + "  on a { address 10.0.0.1:7790; }\n  on b { address 10.0.0.2:7790; }\n}\n", "8:3",
                        "device minor 0 is already used on host a (first at F:3:3)"),
                Arguments.of("not an IP address", "resource r0 {\n" + VOLUME + "  on a { address 10.0.0.300:7789; }\n}\n",
                        "3:18", "expected an IP address after 'address', got '10.0.0.300'"),
                Arguments.of("port out of range", "resource r0 {\n" + VOLUME + "  on a { address 10.0.0.1:70000; }\n}\n",
                        "3:27", "bad value '70000' for port"),
                Arguments.of("syncer with DRBD 9 syntax", "common { syncer { rate 1M; } }\nresource r0 {\n" + VOLUME
                        + "  on a { node-id 0; address 10.0.0.1:7789; }\n}\n", "1:10",
                        "the 8.3 'syncer' section cannot be combined with DRBD 9 syntax ('node-id' at F:4:10)"),
                Arguments.of("different volumes per host", """
                        resource r0 {
                          on a { volume 0 { device minor 0; disk /dev/a; meta-disk internal; } address 10.0.0.1:1; }
                          on b { volume 1 { device minor 1; disk /dev/a; meta-disk internal; } address 10.0.0.2:1; }
                        }
                        """, "3:3", "in resource r0, on b has volumes [1] but on a has [0]"),
                Arguments.of("implicit and explicit volumes", "resource r0 {\n  device /dev/drbd0;\n"
                        + "  volume 1 { device minor 1; }\n}\n", "3:3",
                        "mixing explicit and implicit volumes is not allowed"),
                Arguments.of("two global sections", "global { usage-count no; }\nglobal { }\n", "2:1",
                        "a second 'global' section"),
                Arguments.of("two net sections", "resource r0 {\n  net { }\n  net { }\n}\n", "3:3",
                        "a second net section in the same section"),
                Arguments.of("misspelt top-level keyword", "resorce r0 { }\n", "1:1",
                        "expected 'global', 'common', 'resource', 'include' or 'skip', got 'resorce'"),
                Arguments.of("stacked resource", "resource r0 {\n  stacked-on-top-of r1 { }\n}\n", "2:3",
                        "'stacked-on-top-of' is not supported by Tandem"),
                Arguments.of("node-id out of range", "resource r0 {\n  on a { node-id 40; }\n}\n", "2:18",
                        "bad value '40' for node-id"),
                Arguments.of("bad meta-disk index", "resource r0 {\n  meta-disk /dev/md[x];\n}\n", "2:21",
                        "bad value 'x' for the meta-disk index"),
                Arguments.of("host section in common", "common {\n  on a { }\n}\n", "2:3",
                        "'on' is not allowed in the common section"),
                Arguments.of("volume statements after the hosts", "resource r0 {\n" + HOSTS + VOLUME + "}\n", "4:3",
                        "'device' after the host sections of resource r0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedFileIsRejectedWithPositionAndHint(String what, String text, String lineColumn, String problem)
            throws IOException {
        Path file = dir.resolve("drbd.conf");
        Files.writeString(file, text);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(file));
        String f = file.toAbsolutePath().toString();
        assertEquals(f + ":" + lineColumn, e.position().toString(), what);
        assertEquals(problem.replace("F:", f + ":"), e.problem(), what);
        assertFalse(e.hint().isEmpty(), what + ": no hint");
        assertEquals(e.position() + ": " + e.problem() + "\n  hint: " + e.hint(), e.getMessage());
    }

    @Test
    void errorInAnIncludedFileNamesThatFile() throws IOException {
        Files.createDirectories(dir.resolve("drbd.d"));
        Files.writeString(dir.resolve("drbd.conf"), "include \"drbd.d/*.res\";\n");
        Files.writeString(dir.resolve("drbd.d/r0.res"), "resource r0 {\n  disk { on-io-error explode; }\n}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(dir.resolve("drbd.conf")));
        assertEquals(dir.resolve("drbd.d/r0.res").toAbsolutePath() + ":2:22", e.position().toString());
        assertEquals("bad value 'explode' for on-io-error", e.problem());
        assertEquals("one of: pass_on, call-local-io-error, detach", e.hint());
    }

    @Test
    void misspeltOptionGetsTheClosestNameAsHint() throws IOException {
        Path file = dir.resolve("drbd.conf");
        Files.writeString(file, "common { net { shared-secrett x; } }\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(file));
        assertEquals("did you mean 'shared-secret'?", e.hint());
    }
}
