package uk.e42.tandem.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each reason a peer's certificate is refused, and the order in which they are checked. */
class PeerCheckTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ClusterCa OURS = ClusterCa.derive(StaticKey.generate(RANDOM), RANDOM);
    private static final ClusterCa THEIRS = ClusterCa.derive(StaticKey.generate(RANDOM), RANDOM);
    private static final TrustMaterial TRUST = new TrustMaterial(List.of(OURS.certificate()), "this cluster's key");
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    private static X509Certificate[] cert(ClusterCa ca, String node, Instant from, Instant until) {
        return ca.issue(node, from, until).chain();
    }

    private static X509Certificate[] valid(ClusterCa ca, String node) {
        return cert(ca, node, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofHours(23)));
    }

    private static String refusal(X509Certificate[] chain, List<String> expected) {
        return assertThrows(PeerRefusedException.class, () -> PeerCheck.check(chain, TRUST, PeerCheck.Role.SERVER,
                expected, NOW, "peer certificate")).reason();
    }

    @Test
    void aNodeOfOurCaWithTheExpectedNameIsAccepted() throws Exception {
        assertEquals("paimon", PeerCheck.check(valid(OURS, "paimon"), TRUST, PeerCheck.Role.CLIENT,
                List.of("rosaria", "PAIMON"), NOW, "peer certificate").toLowerCase());
        assertEquals("paimon", PeerCheck.check(valid(OURS, "paimon"), TRUST, PeerCheck.Role.CLIENT, List.of(), NOW,
                "peer certificate"), "no expected names: any node of the CA, e.g. an admin client");
    }

    @Test
    void theLeafAloneIsEnough() throws Exception {
        X509Certificate[] leafOnly = {valid(OURS, "paimon")[0]};
        assertEquals("paimon", PeerCheck.check(leafOnly, TRUST, PeerCheck.Role.SERVER, List.of("paimon"), NOW,
                "peer certificate"));
    }

    @Test
    void anotherKeysCertificateIsNotIssuedByThisCluster() {
        assertTrue(refusal(valid(THEIRS, "paimon"), List.of("paimon"))
                .startsWith("peer certificate not issued by this cluster's key ("));
    }

    @Test
    void aStrangerIsCalledAStrangerEvenWhenItsCertificateExpiredToo() {
        X509Certificate[] strangerExpired = cert(THEIRS, "paimon", NOW.minus(Duration.ofDays(3)),
                NOW.minus(Duration.ofDays(2)));
        assertTrue(refusal(strangerExpired, List.of("paimon")).startsWith("peer certificate not issued by"));
    }

    @Test
    void aCertificateForAnotherNodeSaysWhichAndWhatWasExpected() {
        assertEquals("peer certificate is for node mallory, expected paimon",
                refusal(valid(OURS, "mallory"), List.of("paimon")));
        assertEquals("peer certificate is for node mallory, expected paimon or rosaria",
                refusal(valid(OURS, "mallory"), List.of("paimon", "rosaria")));
    }

    @Test
    void expiredAndNotYetValidCertificatesSayWhen() {
        assertEquals("peer certificate for node paimon expired at 2026-06-01T11:00:00Z (now 2026-06-01T12:00:00Z;"
                + " check both nodes' clocks, or renew it)",
                refusal(cert(OURS, "paimon", NOW.minus(Duration.ofDays(1)), NOW.minus(Duration.ofHours(1))),
                        List.of("paimon")));
        assertEquals("peer certificate for node paimon is not valid before 2026-06-01T13:00:00Z"
                + " (now 2026-06-01T12:00:00Z; check both nodes' clocks)",
                refusal(cert(OURS, "paimon", NOW.plus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1))),
                        List.of("paimon")));
    }

    @Test
    void noCertificateAtAll() {
        assertEquals("peer certificate missing: the peer sent no certificate",
                refusal(new X509Certificate[0], List.of("paimon")));
    }
}
