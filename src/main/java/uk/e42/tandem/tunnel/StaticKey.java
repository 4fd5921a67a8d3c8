package uk.e42.tandem.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The shared link key, in OpenVPN's static-key text format ("OpenVPN Static key V1": 256 bytes as
 * 16 lines of 32 hex digits between BEGIN/END markers). The seed already has such a file
 * ({@code openvpn --genkey secret /etc/openvpn/static.key}), so one file can serve the VPN and Tandem.
 */
public final class StaticKey {
    /** OpenVPN's static keys are always 2048 bits; a shorter key file is damaged, not a choice. */
    public static final int BYTES = 256;
    static final String BEGIN = "-----BEGIN OpenVPN Static key V1-----";
    static final String END = "-----END OpenVPN Static key V1-----";
    private static final int HEX_PER_LINE = 32;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final byte[] bytes;

    private StaticKey(byte[] bytes) {
        this.bytes = bytes;
    }

    public static StaticKey generate(SecureRandom random) {
        byte[] bytes = new byte[BYTES];
        random.nextBytes(bytes);
        return new StaticKey(bytes);
    }

    /** Reads a key file; errors name the file, the line and how to make a good one. */
    public static StaticKey read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    /**
     * Parses the text of a key file the way OpenVPN reads it: '#' comment lines and blank lines
     * before the BEGIN marker are ignored, whitespace between the hex digits is too.
     */
    public static StaticKey parse(String text, String source) {
        List<String> lines = text.lines().toList();
        int begin = -1;
        for (int i = 0; i < lines.size() && begin < 0; i++) {
            String line = lines.get(i).strip();
            if (line.equals(BEGIN)) {
                begin = i;
            } else if (!line.isEmpty() && !line.startsWith("#")) {
                throw invalid(source, i + 1, "expected '" + BEGIN + "' but found '" + abbreviate(line) + "'");
            }
        }
        if (begin < 0) {
            throw invalid(source, lines.size(), "no '" + BEGIN + "' line");
        }
        StringBuilder hex = new StringBuilder(2 * BYTES);
        for (int i = begin + 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.equals(END)) {
                return new StaticKey(decode(hex, source, i + 1));
            }
            for (int c = 0; c < line.length(); c++) {
                char ch = line.charAt(c);
                if (Character.digit(ch, 16) >= 0) {
                    hex.append(ch);
                } else if (!Character.isWhitespace(ch)) {
                    throw invalid(source, i + 1, "column " + (c + 1) + ": '" + ch + "' is not a hex digit");
                }
            }
        }
        throw invalid(source, lines.size(), "no '" + END + "' line");
    }

    private static byte[] decode(CharSequence hex, String source, int line) {
        if (hex.length() != 2 * BYTES) {
            throw invalid(source, line, "the key has " + hex.length() / 2 + " bytes, a 2048-bit static key has "
                    + BYTES);
        }
        return HexFormat.of().parseHex(hex);
    }

    private static IllegalArgumentException invalid(String source, int line, String what) {
        return new IllegalArgumentException(source + ":" + line + ": not an OpenVPN static key: " + what
                + " (make one with 'tandem genkey secret FILE' or 'openvpn --genkey secret FILE')");
    }

    private static String abbreviate(String line) {
        return line.length() <= 40 ? line : line.substring(0, 40) + "...";
    }

    /** The file text, byte for byte what {@code openvpn --genkey secret} writes. */
    public String format() {
        StringBuilder text = new StringBuilder("#\n# 2048 bit OpenVPN static key\n#\n").append(BEGIN).append('\n');
        String hex = HexFormat.of().formatHex(bytes);
        for (int i = 0; i < hex.length(); i += HEX_PER_LINE) {
            text.append(hex, i, i + HEX_PER_LINE).append('\n');
        }
        return text.append(END).append('\n').toString();
    }

    /**
     * Writes the key to a new file readable by its owner only. An existing file is never replaced:
     * the peer still holds the old key, and losing it would cut the link.
     */
    public void writeNew(Path file) throws IOException {
        try {
            // the mode is set at creation, so the key is never readable by others, not even briefly
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(file.toString(), null,
                    "refusing to overwrite an existing key; the peer may still use it (remove it first if you mean to)");
        }
        try {
            // the umask may have narrowed what createFile asked for, never widened it; make it exact
            Files.setPosixFilePermissions(file, OWNER_ONLY);
            Files.writeString(file, format(), StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** A copy of the key material (the caller may wipe it). */
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StaticKey key && Arrays.equals(bytes, key.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Never the key itself: keys end up in logs through toString. */
    @Override
    public String toString() {
        return "StaticKey[2048 bit]";
    }
}
