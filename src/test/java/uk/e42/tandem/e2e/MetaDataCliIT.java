package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The local meta data verbs as an admin runs them from drbd.conf: {@code tandem create-md},
 * {@code dump-md}, {@code show-gi}, checked against Debian's drbdmeta reading the same file.
 */
@E2e(tools = {"drbdmeta"})
class MetaDataCliIT {

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void createMdThenDrbdmetaReadsWhatTandemDumps() throws Exception {
        TandemNode node = cluster.node("rosaria");
        Path disk = node.dir().resolve("disk.img");
        Path meta = node.dir().resolve("meta.img");
        for (Path file : new Path[] {disk, meta}) {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(file == disk ? 64L << 20 : 128L << 20);
            }
        }
        Files.writeString(node.dir().resolve("drbd.conf"), """
                resource replicated0 {
                    device /dev/drbd0;
                    disk %s;
                    meta-disk %s[0];
                    on rosaria { address 127.0.0.1:7789; }
                    on paimon { address 127.0.0.2:7789; }
                }
                """.formatted(disk, meta));

        Tools.Result created = node.cli("create-md", "replicated0").orFail();
        assertTrue(created.stdout().contains("New drbd meta data block successfully created."), created.stdout());

        Tools.Result again = node.cli("create-md", "replicated0");
        assertNotEquals(0, again.exitCode(), "existing meta data is not overwritten without --force");
        assertTrue(again.stderr().contains("--force"), again.stderr());

        String ours = body(node.cli("dump-md", "replicated0").orFail().stdout());
        String theirs = body(Tools.run("drbdmeta", "--force", "0", "v08", meta.toString(), "0", "dump-md").orFail()
                .stdout());
        assertEquals(theirs, ours);
        assertTrue(node.cli("show-gi", "replicated0").orFail().stdout().contains("0000000000000004"));
        assertEquals(Tools.run("drbdmeta", "--force", "0", "v08", meta.toString(), "0", "get-gi").orFail().stdout(),
                node.cli("get-gi", "replicated0").orFail().stdout());
    }

    @Test
    void unknownResourceIsAConfigErrorNamingIt() throws Exception {
        TandemNode node = cluster.node("rosaria");
        Files.writeString(node.dir().resolve("drbd.conf"), """
                resource r0 {
                    device /dev/drbd0; disk /tmp/none; meta-disk internal;
                    on rosaria { address 127.0.0.1:7789; }
                    on paimon { address 127.0.0.2:7789; }
                }
                """);
        Tools.Result result = node.cli("dump-md", "r9");
        assertEquals(10, result.exitCode(), result.stderr());
        assertTrue(result.stderr().contains("r9"), result.stderr());
    }

    /** dump-md without its header comments (date, host and command line differ by design). */
    static String body(String dump) {
        return dump.lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n").strip();
    }
}
