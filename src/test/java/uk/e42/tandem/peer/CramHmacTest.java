package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CramHmacTest {

    private static final byte[] NO_BINDING = new byte[0];

    @ParameterizedTest
    @CsvSource({"sha1,20", "SHA256,32", "hmac(sha256),32", "sha512,64", "md5,16", "sha384,48", "sha224,28"})
    void drbdNamesMapToJavaMacs(String name, int bytes) {
        assertEquals(bytes, CramHmac.of(name, "joshua", new SecureRandom()).responseBytes());
    }

    @Test
    void responseIsHmacOfTheChallengeThenTheBinding() throws Exception {
        CramHmac auth = CramHmac.of("sha1", "joshua", new SecureRandom());
        byte[] challenge = HexFormat.of().parseHex("00112233");
        byte[] binding = "binding".getBytes(StandardCharsets.US_ASCII);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec("joshua".getBytes(StandardCharsets.US_ASCII), "HmacSHA1"));
        mac.update(challenge);
        mac.update(binding);

        assertArrayEquals(mac.doFinal(), auth.response(challenge, binding));
    }

    @Test
    void verifyNeedsTheSameSecretChallengeAndBinding() {
        CramHmac mine = CramHmac.of("sha256", "joshua", new SecureRandom());
        CramHmac peer = CramHmac.of("sha256", "joshua", new SecureRandom());
        CramHmac stranger = CramHmac.of("sha256", "falken", new SecureRandom());
        byte[] challenge = mine.newChallenge();

        assertTrue(mine.verify(challenge, NO_BINDING, peer.response(challenge, NO_BINDING)));
        assertFalse(mine.verify(challenge, NO_BINDING, stranger.response(challenge, NO_BINDING)));
        assertFalse(mine.verify(challenge, new byte[] {1}, peer.response(challenge, new byte[] {2})));
        assertFalse(mine.verify(mine.newChallenge(), NO_BINDING, peer.response(challenge, NO_BINDING)));
    }

    @Test
    void challengesAre64RandomBytes() {
        CramHmac auth = CramHmac.of("sha1", "joshua", new SecureRandom());
        byte[] first = auth.newChallenge();

        assertEquals(64, first.length);
        assertFalse(Arrays.equals(first, auth.newChallenge()));
    }

    @Test
    void unknownAlgorithmNamesWhatWorks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CramHmac.of("crc32c", "joshua", new SecureRandom()));
        assertEquals("cram-hmac-alg 'crc32c' is not supported; use one of md5, sha1, sha224, sha256, sha384, sha512",
                e.getMessage());
    }

    @Test
    void secretMustBeSetAndFitDrbdsLimit() {
        assertEquals("cram-hmac-alg sha1 is set but shared-secret is empty; set shared-secret in the net section"
                + " on both nodes", assertThrows(IllegalArgumentException.class,
                        () -> CramHmac.of("sha1", "", new SecureRandom())).getMessage());
        assertEquals("shared-secret has 64 characters; DRBD allows at most 63", assertThrows(
                IllegalArgumentException.class, () -> CramHmac.of("sha1", "x".repeat(64), new SecureRandom()))
                .getMessage());
    }
}
