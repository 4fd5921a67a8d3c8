package uk.e42.tandem.peer;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * DRBD's cram-hmac peer authentication: {@code cram-hmac-alg} and {@code shared-secret}. Each side
 * sends {@link #CHALLENGE_BYTES} random bytes and proves the secret by answering
 * HMAC(secret, peer's challenge || channel binding). The binding (TLS session bytes, empty in
 * plaintext) makes a proof useless on any other TLS session.
 */
public final class CramHmac {

    public static final int CHALLENGE_BYTES = 64;
    /** DRBD's SHARED_SECRET_MAX is 64 including the C string's NUL. */
    public static final int MAX_SECRET_CHARS = 63;

    /** drbd.conf names (the kernel's crypto names) to javax.crypto Mac names. */
    private static final Map<String, String> MACS = new TreeMap<>(Map.of(
            "md5", "HmacMD5",
            "sha1", "HmacSHA1",
            "sha224", "HmacSHA224",
            "sha256", "HmacSHA256",
            "sha384", "HmacSHA384",
            "sha512", "HmacSHA512"));

    private final String algorithm;
    private final String macName;
    private final SecretKeySpec key;
    private final SecureRandom random;

    private CramHmac(String algorithm, String macName, byte[] secret, SecureRandom random) {
        this.algorithm = algorithm;
        this.macName = macName;
        this.key = new SecretKeySpec(secret, macName);
        this.random = random;
    }

    /**
     * @param cramHmacAlg  drbd.conf's value, e.g. {@code sha1}; {@code hmac(sha1)} is read the same
     * @param sharedSecret drbd.conf's {@code shared-secret}
     * @throws IllegalArgumentException naming the setting, the value and what is accepted
     */
    public static CramHmac of(String cramHmacAlg, String sharedSecret, SecureRandom random) {
        String name = cramHmacAlg == null ? "" : cramHmacAlg.strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("hmac(") && name.endsWith(")")) {
            name = name.substring(5, name.length() - 1);
        }
        String macName = MACS.get(name);
        if (macName == null) {
            throw new IllegalArgumentException("cram-hmac-alg '" + cramHmacAlg + "' is not supported; use one of "
                    + String.join(", ", MACS.keySet()));
        }
        if (sharedSecret == null || sharedSecret.isEmpty()) {
            throw new IllegalArgumentException("cram-hmac-alg " + name
                    + " is set but shared-secret is empty; set shared-secret in the net section on both nodes");
        }
        if (sharedSecret.length() > MAX_SECRET_CHARS) {
            throw new IllegalArgumentException("shared-secret has " + sharedSecret.length()
                    + " characters; DRBD allows at most " + MAX_SECRET_CHARS);
        }
        return new CramHmac(name, macName, sharedSecret.getBytes(StandardCharsets.UTF_8), random);
    }

    /** The drbd.conf name, e.g. {@code sha1}. */
    public String algorithm() {
        return algorithm;
    }

    public int responseBytes() {
        return newMac().getMacLength();
    }

    public byte[] newChallenge() {
        byte[] challenge = new byte[CHALLENGE_BYTES];
        random.nextBytes(challenge);
        return challenge;
    }

    /** The proof that we know the secret, for the peer's challenge on this channel. */
    public byte[] response(byte[] peerChallenge, byte[] channelBinding) {
        Mac mac = newMac();
        mac.update(peerChallenge);
        mac.update(channelBinding);
        return mac.doFinal();
    }

    /** Whether the peer's response proves the secret for our challenge on this channel. */
    public boolean verify(byte[] ownChallenge, byte[] channelBinding, byte[] peerResponse) {
        return MessageDigest.isEqual(response(ownChallenge, channelBinding), peerResponse);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(macName);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM lacks " + macName + " for cram-hmac-alg " + algorithm, e);
        }
    }
}
