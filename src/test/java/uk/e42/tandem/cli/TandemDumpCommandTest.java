package uk.e42.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tandem [-c FILE] dump [RESOURCE...]} as drbdadm: output, exit codes, errors on stderr. */
class TandemDumpCommandTest {
    static final Path SEED = Path.of("src/test/resources/config/corpus/seed/drbd.conf").toAbsolutePath();

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    @BeforeEach
    void pinNodeName() {
        System.setProperty("tandem.node-name", "rosaria");
    }

    @AfterEach
    void unpin() {
        System.clearProperty("tandem.node-name");
        System.clearProperty("tandem.config");
    }

    private int run(String... args) {
        CommandLine cli = new CommandLine(new TandemCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(DrbdadmArgs.normalize(args));
    }

    @Test
    void dumpsTheSeedAsDrbdadm84DoesOnRosaria() {
        assertEquals(ExitCodes.OK, run("-c", SEED.toString(), "dump"), err.toString());
        assertEquals("# " + SEED + "\n" + """
                global {
                    usage-count yes;
                    cmd-timeout-medium 600;
                    cmd-timeout-long 0;
                }

                common {
                    net {
                        cram-hmac-alg    sha1;
                        shared-secret    joshua;
                        sndbuf-size      10M;
                        use-rle          yes;
                        protocol           A;
                        csums-alg        md5;
                    }
                    disk {
                        resync-rate       1M;
                    }
                }

                # resource replicated0 on rosaria: not ignored, not stacked
                """ + "# defined at " + SEED.resolveSibling("drbd.d/0_replicated0.res") + ":1\n" + """
                resource replicated0 {
                    on rosaria {
                        device           /dev/drbd0 minor 0;
                        disk             /dev/local/replicated0;
                        meta-disk        /dev/local/drbdmeta [0];
                        address          ipv4 192.168.56.1:7789;
                    }
                    on paimon {
                        device           /dev/drbd0 minor 0;
                        disk             /dev/local/replicated0;
                        meta-disk        /dev/local/drbdmeta [0];
                        address          ipv4 192.168.56.2:7789;
                    }
                    net {
                        after-sb-0pri    discard-zero-changes;
                        after-sb-1pri    discard-secondary;
                        after-sb-2pri    disconnect;
                    }
                }

                """, out.toString());
    }

    @Test
    void namedResourceIsDumpedWithoutHeader() {
        System.setProperty("tandem.config", SEED.toString());
        assertEquals(ExitCodes.OK, run("dump", "replicated0"), err.toString());
        assertTrue(out.toString().startsWith("# resource replicated0 on rosaria: not ignored, not stacked\n"));
    }

    @Test
    void resourceWithoutThisNodeIsNotDefinedForThisHost() {
        System.setProperty("tandem.node-name", "vm");
        assertEquals(ExitCodes.FAILED, run("-c", SEED.toString(), "dump", "replicated0"));
        assertEquals("'replicated0' not defined in your config (for this host 'vm').\n", err.toString());
    }

    @Test
    void invalidConfigExitsTenWithTheParseError() throws IOException {
        Path bad = dir.resolve("drbd.conf");
        Files.writeString(bad, "resource r0 {\n  net { protocol A }\n}\n");
        assertEquals(ExitCodes.CONFIG, run("-c", bad.toString(), "dump"));
        assertEquals(bad.toAbsolutePath() + ":2:20: expected ';' after 'protocol A', got '}'\n"
                + "  hint: end each statement with ';'\n", err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void missingConfigExitsTen() {
        assertEquals(ExitCodes.CONFIG, run("-c", dir.resolve("none.conf").toString(), "dump"));
        assertTrue(err.toString().contains("none.conf: no such file"), err.toString());
    }
}
