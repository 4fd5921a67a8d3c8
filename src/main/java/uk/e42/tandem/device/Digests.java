package uk.e42.tandem.device;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/** DRBD's digest names (csums-alg, verify-alg; the kernel's crypto names) as Java digests. */
final class Digests {
    private static final Map<String, String> JAVA_NAMES = Map.of("md5", "MD5", "sha1", "SHA-1", "sha256", "SHA-256",
            "sha384", "SHA-384", "sha512", "SHA-512");

    private Digests() {
    }

    interface Digest {
        byte[] of(ByteBuffer data);
    }

    /**
     * @throws IllegalArgumentException naming the algorithm and those Tandem knows
     */
    static Digest named(String drbdName) {
        String name = drbdName.toLowerCase(Locale.ROOT);
        if (name.equals("crc32c")) {
            return data -> {
                CRC32C crc = new CRC32C();
                crc.update(data.duplicate());
                long v = crc.getValue();
                return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
            };
        }
        String java = JAVA_NAMES.get(name);
        if (java == null) {
            throw new IllegalArgumentException("digest '" + drbdName + "' is not known to Tandem; use one of crc32c, "
                    + String.join(", ", new TreeSet<>(JAVA_NAMES.keySet())));
        }
        return data -> {
            try {
                MessageDigest digest = MessageDigest.getInstance(java);
                digest.update(data.duplicate());
                return digest.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK lacks " + java, e);
            }
        };
    }
}
