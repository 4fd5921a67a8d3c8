package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * Kills a meta data writer with SIGKILL at random points, again and again, and reloads after each kill:
 * the meta data always loads, every acknowledged out-of-sync block is still marked (from the bitmap or
 * the replayed activity log), and the generation UUIDs are the last acknowledged ones or the one that
 * was being written.
 */
class MetaDataCrashTest {
    private static final long BACKING = 2L << 30;

    @TempDir
    Path dir;

    @Test
    void killMinusNineAtAnyPointLeavesMetaDataThatLoads() throws Exception {
        Path meta = dir.resolve("meta.img");
        try (RandomAccessFile f = new RandomAccessFile(meta.toFile(), "rw")) {
            f.setLength(128L << 20);
        }
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        Random random = new Random(2024);
        Set<Long> acknowledged = new HashSet<>();
        List<String> acknowledgedUuids = new ArrayList<>();
        int replays = 0;
        for (int round = 0; round < 12; round++) {
            Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                    System.getProperty("java.class.path"), CrashWriter.class.getName(), meta.toString(),
                    Long.toString(BACKING), Long.toString(random.nextLong()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("READY", out.readLine(), "the writer attached (and replayed) the meta data");
            int steps = random.nextInt(400);
            for (int i = 0; i < steps; i++) {
                record(out.readLine(), acknowledged, acknowledgedUuids);
            }
            Thread.sleep(random.nextInt(5));
            p.toHandle().destroyForcibly(); // SIGKILL, keeping stdout readable (Process.destroy closes it)
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            for (String line; (line = out.readLine()) != null; ) {
                record(line, acknowledged, acknowledgedUuids);
            }

            try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, BACKING)) {
                assertFalse(m.superblock().isClean(), "killed while attached");
                String current = m.uuids().toString();
                if (!acknowledgedUuids.isEmpty()) {
                    String last = acknowledgedUuids.get(acknowledgedUuids.size() - 1);
                    assertTrue(current.equals(last) || !acknowledgedUuids.contains(current),
                            "round " + round + ": UUIDs " + current + " went back behind " + last);
                }
                MetaData.AttachReport report = m.attach(ActivityLog.MIN_EXTENTS);
                replays += report.replayedActivityLog() ? 1 : 0;
                for (long bit : acknowledged) {
                    assertTrue(m.bitmap().get(bit), "round " + round + ": acknowledged block " + bit + " lost");
                }
                m.detach();
            }
        }
        assertEquals(12, replays, "every round ended in a crash of a Primary");
        assertTrue(acknowledged.size() > 100, "the writer got far enough to matter: " + acknowledged.size());
        System.out.println("crash test: 12 kills, " + acknowledged.size() + " acknowledged blocks, "
                + acknowledgedUuids.size() + " acknowledged UUID changes, all recovered");
    }

    private static void record(String line, Set<Long> blocks, List<String> uuids) {
        if (line == null) {
            return;
        }
        if (line.startsWith("ACK ")) {
            blocks.add(Long.parseLong(line.substring(4)));
        } else if (line.startsWith("UUID ")) {
            uuids.add(line.substring(5));
        }
    }
}
