package uk.e42.tandem.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

class StaticKeyTest {
    @TempDir
    Path dir;

    @Property
    void formatThenParseGivesTheSameKey(@ForAll @Size(StaticKey.BYTES) List<Byte> bytes) {
        byte[] raw = new byte[StaticKey.BYTES];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = bytes.get(i);
        }
        StaticKey key = StaticKey.parse(StaticKey.parse(formatOf(raw), "raw").format(), "formatted");
        assertArrayEquals(raw, key.bytes());
    }

    private static String formatOf(byte[] raw) {
        StringBuilder text = new StringBuilder(StaticKey.BEGIN).append('\n');
        text.append(HexFormat.of().formatHex(raw)).append('\n');
        return text.append(StaticKey.END).append('\n').toString();
    }

    @Test
    void theFileLooksLikeWhatOpenvpnWrites() {
        String text = StaticKey.generate(new SecureRandom()).format();
        List<String> lines = text.lines().toList();

        assertEquals(List.of("#", "# 2048 bit OpenVPN static key", "#", StaticKey.BEGIN), lines.subList(0, 4));
        assertEquals(StaticKey.END, lines.get(lines.size() - 1));
        List<String> hex = lines.subList(4, lines.size() - 1);
        assertEquals(16, hex.size());
        hex.forEach(line -> assertTrue(line.matches("[0-9a-f]{32}"), line));
        assertTrue(text.endsWith("\n"));
    }

    @Test
    void writeNewCreatesAnOwnerOnlyFileAndNeverOverwrites() throws Exception {
        Path file = dir.resolve("static.key");
        StaticKey key = StaticKey.generate(new SecureRandom());
        key.writeNew(file);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(key, StaticKey.read(file));
        String before = Files.readString(file);
        FileAlreadyExistsException refused = assertThrows(FileAlreadyExistsException.class,
                () -> StaticKey.generate(new SecureRandom()).writeNew(file));
        assertTrue(refused.getMessage().contains("refusing to overwrite"), refused.getMessage());
        assertEquals(before, Files.readString(file), "the existing key is untouched");
    }

    @Test
    void damagedFilesAreRefusedWithFileLineAndAHint() {
        String good = StaticKey.generate(new SecureRandom()).format();
        String shortKey = good.replaceFirst("[0-9a-f]{32}\n", "");
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                () -> StaticKey.parse(shortKey, "/etc/tandem/static.key"));
        assertEquals("/etc/tandem/static.key:20: not an OpenVPN static key: the key has 240 bytes, a 2048-bit static"
                + " key has 256 (make one with 'tandem genkey secret FILE' or 'openvpn --genkey secret FILE')",
                tooShort.getMessage());

        String garbled = good.replaceFirst("\n([0-9a-f]{5})[0-9a-f]", "\n$1z");
        IllegalArgumentException badDigit = assertThrows(IllegalArgumentException.class,
                () -> StaticKey.parse(garbled, "k"));
        assertTrue(badDigit.getMessage().startsWith("k:5: not an OpenVPN static key: column 6: 'z' is not a hex digit"),
                badDigit.getMessage());

        IllegalArgumentException pem = assertThrows(IllegalArgumentException.class,
                () -> StaticKey.parse("-----BEGIN PRIVATE KEY-----\nAAAA\n", "k"));
        assertTrue(pem.getMessage().startsWith("k:1: not an OpenVPN static key: expected '" + StaticKey.BEGIN),
                pem.getMessage());

        IllegalArgumentException noEnd = assertThrows(IllegalArgumentException.class,
                () -> StaticKey.parse(good.replace(StaticKey.END, ""), "k"));
        assertTrue(noEnd.getMessage().contains("no '" + StaticKey.END + "' line"), noEnd.getMessage());
    }

    @Test
    void toStringNeverShowsTheKey() {
        assertEquals("StaticKey[2048 bit]", StaticKey.generate(new SecureRandom()).toString());
    }

    @Test
    @E2e(tools = "openvpn")
    void aKeyFromOpenvpnGenkeyIsReadAndOpenvpnReadsOurs() throws Exception {
        Path theirs = dir.resolve("openvpn.key");
        Tools.run(Tools.path("openvpn"), "--genkey", "secret", theirs.toString()).orFail();

        StaticKey key = StaticKey.read(theirs);
        assertEquals(Files.readString(theirs, StandardCharsets.US_ASCII), key.format(),
                "our writer produces openvpn's file byte for byte");
        try (LinkSecurity security = LinkSecurity.staticKey(key, "rosaria", Clock.systemUTC())) {
            assertTrue(security.encrypted());
        }

        Path ours = dir.resolve("tandem.key");
        StaticKey.generate(new SecureRandom()).writeNew(ours);
        // openvpn's crypto self test loads the key file like a tunnel would, then round-trips packets with it
        Tools.Result selfTest = Tools.run(Tools.path("openvpn"), "--test-crypto", "--secret", ours.toString(),
                "--cipher", "AES-256-CBC");
        assertEquals(0, selfTest.exitCode(), selfTest.stdout() + selfTest.stderr());
    }
}
