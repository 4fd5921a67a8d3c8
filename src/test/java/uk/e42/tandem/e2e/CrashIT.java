package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Crash safety under protocol C (invariants 1 and 6): the Primary's daemon is SIGKILLed in the
 * middle of a stream of flushed writes; every write qemu-io saw acknowledged is on the Secondary,
 * which takes over; the crashed node comes back as SyncTarget and ends equal.
 */
@E2e(tools = {"qemu-io"})
class CrashIT {
    static final int CHUNK = 64 << 10;
    static final int WRITES = 400;
    static final Pattern WROTE = Pattern.compile("wrote \\d+/\\d+ bytes at offset (\\d+)");

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void everyAcknowledgedWriteSurvivesThePrimarysCrash() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();

        // Chunk i (at i * 64 KiB) is filled with byte (i % 250) + 1, each followed by a FLUSH.
        List<String> command = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (int i = 0; i < WRITES; i++) {
            command.addAll(List.of("-c", "write -P " + (i % 250 + 1) + " " + (long) i * CHUNK + " " + CHUNK, "-c",
                    "flush"));
        }
        command.add("nbd://127.0.0.1:" + pair.rosaria.nbdPort() + "/replicated0");
        Path out = cluster.root().resolve("qemu-io.out");
        Process writer = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(new File("/dev/null")).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (acknowledged(out).size() < 40 && writer.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        pair.rosaria.kill9();
        assertTrue(writer.waitFor(60, TimeUnit.SECONDS), "qemu-io ends when its server dies");
        List<Long> acked = acknowledged(out);
        assertTrue(acked.size() >= 40 && acked.size() < WRITES,
                "rosaria died in the middle of the writes (" + acked.size() + " acknowledged)");

        LoopbackPair.awaitStatus(pair.paimon, s -> s.contains("peer connection:Connecting"));
        // UpToDate and alone, with fencing dont-care: DRBD promotes without --force.
        pair.paimon.cli("primary", "replicated0").orFail();
        for (long offset : acked) {
            byte[] expected = new byte[CHUNK];
            Arrays.fill(expected, (byte) (offset / CHUNK % 250 + 1));
            assertArrayEquals(expected, pair.read(pair.paimon, offset, CHUNK),
                    "acknowledged write at offset " + offset + " is on paimon");
        }
        System.out.printf("crash: %d writes acknowledged before SIGKILL, %d checked on paimon, 0 lost%n",
                acked.size(), acked.size());

        pair.rosaria.start().awaitLive(Duration.ofSeconds(60));
        pair.rosaria.cli("up", "replicated0").orFail();
        LoopbackPair.awaitStatus(pair.rosaria, s -> s.contains("""
                replicated0 role:Secondary
                  disk:UpToDate
                  peer role:Primary
                    replication:Established peer-disk:UpToDate
                """));
        String restarted = pair.rosaria.logText().substring(pair.rosaria.logText().lastIndexOf("=== start 2"));
        assertTrue(restarted.contains("Began resync as SyncTarget"), "the crashed Primary resyncs from paimon:\n"
                + restarted);
        pair.paimon.cli("secondary", "replicated0").orFail();
        pair.awaitEqualDisks();
    }

    private static List<Long> acknowledged(Path out) throws Exception {
        List<Long> offsets = new ArrayList<>();
        if (Files.exists(out)) {
            Matcher m = WROTE.matcher(Files.readString(out));
            while (m.find()) {
                offsets.add(Long.parseLong(m.group(1)));
            }
        }
        return offsets;
    }
}
