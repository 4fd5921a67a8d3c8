package uk.e42.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import uk.e42.tandem.tunnel.StaticKey;

class GenkeyCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int tandem(String... args) {
        return new CommandLine(new TandemCommand()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(DrbdadmArgs.normalize(args));
    }

    @Test
    void genkeySecretWritesAnOwnerOnlyStaticKey() throws Exception {
        Path file = dir.resolve("static.key");

        assertEquals(ExitCodes.OK, tandem("genkey", "secret", file.toString()), err.toString());

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(StaticKey.BYTES, StaticKey.read(file).bytes().length);
        assertTrue(out.toString().contains("wrote a 2048-bit static key to " + file), out.toString());
    }

    @Test
    void genkeyRefusesToOverwriteAKey() throws Exception {
        Path file = dir.resolve("static.key");
        assertEquals(ExitCodes.OK, tandem("genkey", "secret", file.toString()));
        String first = Files.readString(file);

        assertEquals(ExitCodes.FAILED, tandem("genkey", "secret", file.toString()));

        assertEquals(first, Files.readString(file));
        assertTrue(err.toString().contains("cannot write " + file + ": refusing to overwrite an existing key"),
                err.toString());
    }

    @Test
    void genkeyNamesWhatIsWrong() {
        assertEquals(ExitCodes.USAGE, tandem("genkey", "public", dir.resolve("k").toString()));
        assertTrue(err.toString().contains("unknown key kind 'public'"), err.toString());
        assertFalse(Files.exists(dir.resolve("k")));

        assertEquals(ExitCodes.FAILED, tandem("genkey", "secret", dir.resolve("no/such/dir/k").toString()));
        assertTrue(err.toString().contains("its directory does not exist"), err.toString());
    }
}
