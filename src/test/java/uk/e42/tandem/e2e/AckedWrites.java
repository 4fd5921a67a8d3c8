package uk.e42.tandem.e2e;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A write load on a node's raw NBD export that records what was acknowledged: qemu-io writes
 * {@code count} chunks one after another, chunk i at {@code offset + i * chunk}, each with FUA (so
 * an acknowledged chunk was flushed as far as the protocol promises), each filled with its own byte
 * (from {@code salt}, so a later load over the same range differs), with {@code pauseMillis} between
 * writes. qemu-io prints "wrote ..." for each acknowledged write.
 */
final class AckedWrites {
    private static final Pattern WROTE = Pattern.compile("wrote \\d+/\\d+ bytes at offset (\\d+)");

    final long offset;
    final int chunk;
    final int count;
    private final int salt;
    private final Path out;
    private final Process process;

    private AckedWrites(long offset, int chunk, int count, int salt, Path out, Process process) {
        this.offset = offset;
        this.chunk = chunk;
        this.count = count;
        this.salt = salt;
        this.out = out;
        this.process = process;
    }

    static AckedWrites start(NetnsHosts.Host host, TandemNode node, Path out, long offset, int chunk, int count,
            int salt, int pauseMillis) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", host.namespace(), "qemu-io", "-f", "raw"));
        for (int i = 0; i < count; i++) {
            command.addAll(List.of("-c", "write -f -P " + pattern(salt, i) + " " + (offset + (long) i * chunk) + " "
                    + chunk));
            if (pauseMillis > 0) {
                command.addAll(List.of("-c", "sleep " + pauseMillis));
            }
        }
        command.add("nbd://127.0.0.1:" + node.nbdPort() + "/replicated0");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(new File("/dev/null")).start();
        return new AckedWrites(offset, chunk, count, salt, out, process);
    }

    /** Chunk i's fill byte, never 0 (what an unwritten block holds). */
    static int pattern(int salt, int i) {
        return (salt * 53 + i) % 255 + 1;
    }

    /** How many chunks were acknowledged so far (qemu-io writes them in order). */
    int acknowledged() throws IOException {
        int n = 0;
        if (Files.exists(out)) {
            // Whole lines only: qemu-io may be in the middle of printing one.
            String text = Files.readString(out);
            Matcher m = WROTE.matcher(text.substring(0, text.lastIndexOf('\n') + 1));
            while (m.find()) {
                long expected = offset + (long) n * chunk;
                if (Long.parseLong(m.group(1)) != expected) {
                    throw new AssertionError("qemu-io acknowledged offset " + m.group(1) + ", expected " + expected);
                }
                n++;
            }
        }
        return n;
    }

    /** Waits until at least {@code n} chunks are acknowledged (or the writer ended). */
    void awaitAcknowledged(int n) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (acknowledged() < n && process.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(10);
        }
        if (acknowledged() < n) {
            throw new AssertionError("only " + acknowledged() + " of " + n + " writes acknowledged:\n"
                    + Files.readString(out));
        }
    }

    /** Waits for the writer to end (all written, or its server gone); returns the acknowledged count. */
    int awaitEnd() throws Exception {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("qemu-io did not end:\n" + Files.readString(out));
        }
        return acknowledged();
    }

    long bytes(int chunks) {
        return (long) chunks * chunk;
    }

    /** Whether chunk i, whole, is on {@code device} (a backing volume read directly). */
    boolean isOn(Path device, int i) throws IOException {
        byte[] data = new byte[chunk];
        try (var file = new RandomAccessFile(device.toFile(), "r")) {
            file.seek(offset + (long) i * chunk);
            file.readFully(data);
        }
        byte expected = (byte) pattern(salt, i);
        for (byte b : data) {
            if (b != expected) {
                return false;
            }
        }
        return true;
    }

    /** The chunks among the first {@code n} that are not on {@code device}. */
    List<Integer> missing(Path device, int n) throws IOException {
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!isOn(device, i)) {
                missing.add(i);
            }
        }
        return missing;
    }
}
