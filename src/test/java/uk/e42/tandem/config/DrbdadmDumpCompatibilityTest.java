package uk.e42.tandem.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

/**
 * Every file of the corpus ({@code src/test/resources/config/corpus}) dumped by Debian's drbdadm
 * and by Tandem must be the same text. DRBD 8.4 files go to {@code drbdadm-84} (the only drbdadm that
 * still reads the seed's 8.3 {@code syncer}), files named {@code v9-*} to DRBD 9's {@code drbdadm}.
 * Nothing is normalised: Tandem is given the node name drbdadm prints ({@code uname -n}) and this
 * machine's addresses, so even the "ignored" comment lines must agree.
 */
class DrbdadmDumpCompatibilityTest {
    static final Path CORPUS = Path.of("src/test/resources/config/corpus");

    static Stream<Path> corpus() throws IOException {
        try (Stream<Path> top = Files.list(CORPUS)) {
            return top.map(p -> Files.isDirectory(p) ? p.resolve("drbd.conf") : p)
                    .filter(p -> p.toString().endsWith(".conf")).sorted().toList().stream();
        }
    }

    static String toolFor(Path file) {
        String name = file.getFileName().toString().equals("drbd.conf") ? file.getParent().getFileName().toString()
                : file.getFileName().toString();
        return name.startsWith("v9-") ? "drbdadm" : "drbdadm-84";
    }

    @Test
    void corpusIsLargeEnough() throws IOException {
        List<Path> files = corpus().toList();
        assertTrue(files.size() >= 25, "corpus has " + files.size() + " files");
        assertTrue(files.stream().anyMatch(p -> toolFor(p).equals("drbdadm")), "no DRBD 9 file");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    @E2e(tools = {"drbdadm-84", "drbdadm", "uname"})
    void dumpMatchesDrbdadm(Path file) {
        Path absolute = file.toAbsolutePath();
        Tools.Result drbdadm = Tools.run(Tools.path(toolFor(file)), "-c", absolute.toString(), "dump").orFail();
        String nodeName = Tools.run("uname", "-n").orFail().stdout().strip();
        DrbdConfig config = ConfigParser.parse(absolute);
        String tandem = ConfigDumper.dumpAll(config, config.forNode(nodeName, LocalAddresses.system()));
        assertEquals(drbdadm.stdout(), tandem, "tandem dump differs from " + toolFor(file) + " dump of " + file);
    }

    /** Files where this node is one of the hosts: drbdadm runs in its own UTS and network namespace. */
    static Stream<Arguments> pinned() {
        return Stream.of(
                Arguments.of("seed/drbd.conf", "rosaria", List.of("192.168.56.1")),
                Arguments.of("seed/drbd.conf", "paimon", List.of("192.168.56.2")),
                Arguments.of("02-drbd83-syncer.conf", "node1", List.of("192.168.10.1")),
                Arguments.of("17-resync-after-chain.conf", "s1", List.of("10.13.0.1")),
                Arguments.of("13-host-volumes.conf", "fast", List.of("10.8.0.1")),
                Arguments.of("12-several-host-names.conf", "right.example.com", List.of("10.7.0.2")),
                Arguments.of("06-floating.conf", "whatever", List.of("10.20.0.2")),
                Arguments.of("07-ipv6.conf", "west", List.of("fd00:10::2", "fe80::2")),
                Arguments.of("v9-mesh.conf", "bravo", List.of("10.30.0.2")),
                Arguments.of("include-tree/drbd.conf", "t2", List.of("10.19.0.2")));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("pinned")
    @E2e(tools = {"drbdadm-84", "drbdadm", "unshare", "ip"}, root = true, netns = true)
    void dumpMatchesDrbdadmOnAConfiguredHost(String name, String host, List<String> addresses) {
        Path file = CORPUS.resolve(name).toAbsolutePath();
        String script = "ip link set lo up; for a in $1; do case $a in *:*) ip -6 addr add $a/128 dev lo nodad;; "
                + "*) ip addr add $a/32 dev lo;; esac; done; hostname \"$0\"; exec \"$2\" -c \"$3\" dump";
        Tools.Result drbdadm = Tools.run(Tools.path("unshare"), "-un", "sh", "-c", script, host,
                String.join(" ", addresses), Tools.path(toolFor(file)), file.toString()).orFail();
        DrbdConfig config = ConfigParser.parse(file);
        String tandem = ConfigDumper.dumpAll(config, config.forNode(host,
                a -> addresses.stream().anyMatch(mine -> mine.equalsIgnoreCase(a.replaceAll("%.*", "")))));
        assertTrue(drbdadm.stdout().contains(": not ignored,"), "drbdadm did not pick " + host);
        assertEquals(drbdadm.stdout(), tandem, "tandem dump differs from " + toolFor(file) + " on " + host);
    }
}
