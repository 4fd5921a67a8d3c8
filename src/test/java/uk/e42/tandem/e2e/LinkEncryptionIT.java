package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.e2e.LoopbackPair.nbd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What crosses the peer link, captured with tcpdump while a client writes a known block: with
 * the default static-key TLS none of it appears on the wire; with tandem.tls.mode=plaintext it
 * does (which shows the capture would catch a leak). Each node's log names how the link is carried:
 * the TLS version and cipher suite, or plaintext.
 */
@E2e(root = true, tools = {"tcpdump", "nbdcopy"})
class LinkEncryptionIT {

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @ParameterizedTest(name = "tandem.tls.mode={0}")
    @CsvSource({"static-key, false, 'TLSv1\\.3 TLS_\\w+'", "plaintext, true, plaintext"})
    void aKnownBlockIsOnTheWireOnlyInPlaintextMode(String mode, boolean visible, String carrier) throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "protocol C;", Map.of("TANDEM_TLS_MODE", mode)).synced();
        for (TandemNode node : List.of(pair.rosaria, pair.paimon)) {
            Matcher link = Pattern.compile("(connected to|accepted connection from) (rosaria|paimon) "
                    + "\\(127\\.0\\.0\\.1:\\d+, (" + carrier + ")\\)").matcher(node.logText());
            assertTrue(link.find(), node.name() + " logs its link as carried by " + carrier + ":\n" + node.logText());
            System.out.println(node.name() + ": " + link.group());
        }

        Path capture = cluster.root().resolve("link.pcap");
        Process tcpdump = new ProcessBuilder(List.of(Tools.path("tcpdump"), "-i", "lo", "-s", "0", "-U", "-w",
                capture.toString(), "tcp port " + pair.rosariaPort + " or tcp port " + pair.paimonPort))
                .redirectErrorStream(true).redirectOutput(cluster.root().resolve("tcpdump.log").toFile()).start();
        try {
            Thread.sleep(1000);
            byte[] block = new byte[1 << 20];
            new Random(4711).nextBytes(block);
            Path data = cluster.root().resolve("known.img");
            Files.write(data, block);
            Tools.run("nbdcopy", data.toString(), nbd(pair.rosaria)).orFail();
            pair.awaitEqualDisks(block.length);
            Thread.sleep(500);
            byte[] wire = stop(tcpdump, capture);
            // Several pieces, so that one split across two captured segments cannot hide a leak.
            boolean seen = false;
            for (int at = 4096; at < block.length; at += block.length / 16) {
                seen |= contains(wire, Arrays.copyOfRange(block, at, at + 64));
            }
            assertEquals(visible, seen, "64-byte pieces of the written block on the captured link (" + wire.length
                    + " bytes captured)");
        } finally {
            tcpdump.destroyForcibly();
        }
    }

    private static byte[] stop(Process tcpdump, Path capture) throws Exception {
        tcpdump.destroy();
        tcpdump.waitFor(10, TimeUnit.SECONDS);
        return Files.readAllBytes(capture);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
