package uk.e42.tandem.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ClusterCaTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    private static StaticKey key(List<Byte> bytes) {
        StringBuilder hex = new StringBuilder();
        bytes.forEach(b -> hex.append(String.format("%02x", b)));
        return StaticKey.parse(StaticKey.BEGIN + "\n" + hex + "\n" + StaticKey.END, "generated");
    }

    @Property(tries = 30)
    void theSameKeyGivesTheSameCaOnEveryNode(@ForAll @Size(StaticKey.BYTES) List<Byte> bytes) throws Exception {
        X509Certificate onRosaria = ClusterCa.derive(key(bytes), new SecureRandom()).certificate();
        X509Certificate onPaimon = ClusterCa.derive(key(bytes), new SecureRandom()).certificate();

        assertArrayEquals(onRosaria.getPublicKey().getEncoded(), onPaimon.getPublicKey().getEncoded());
        assertArrayEquals(onRosaria.getEncoded(), onPaimon.getEncoded(), "even the CA certificate is byte-identical");
    }

    @Property(tries = 30)
    void differentKeysGiveDifferentCas(@ForAll @Size(StaticKey.BYTES) List<Byte> a,
            @ForAll @Size(StaticKey.BYTES) List<Byte> b) {
        net.jqwik.api.Assume.that(!a.equals(b));
        X509Certificate first = ClusterCa.derive(key(a), RANDOM).certificate();
        X509Certificate second = ClusterCa.derive(key(b), RANDOM).certificate();

        assertFalse(Arrays.equals(first.getPublicKey().getEncoded(), second.getPublicKey().getEncoded()));
        assertNotEquals(first.getSubjectX500Principal(), second.getSubjectX500Principal(),
                "the CA's name carries its fingerprint");
    }

    @Test
    void theCaIsAP256CaThatSignsItself() throws Exception {
        X509Certificate ca = ClusterCa.derive(StaticKey.generate(RANDOM), RANDOM).certificate();

        assertEquals("EC", ca.getPublicKey().getAlgorithm());
        assertTrue(ca.getPublicKey().toString().contains("secp256r1"), ca.getPublicKey().toString());
        assertEquals("SHA256withECDSA", ca.getSigAlgName());
        assertEquals(0, ca.getBasicConstraints());
        ca.verify(ca.getPublicKey());
    }

    @Test
    void anIssuedCertificateNamesTheNodeAndServesBothTlsRoles() throws Exception {
        ClusterCa ca = ClusterCa.derive(StaticKey.generate(RANDOM), RANDOM);
        Instant now = Instant.now();
        NodeIdentity node = ca.issue("paimon", now, now.plusSeconds(60));
        X509Certificate leaf = node.certificate();

        leaf.verify(ca.certificate().getPublicKey());
        assertEquals(Set.of("paimon"), PeerNames.of(leaf));
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage());
        assertEquals(-1, leaf.getBasicConstraints());
        assertEquals(ca.certificate(), node.chain()[1]);
        Signature signature = Signature.getInstance("SHA256withECDSA");
        signature.initSign(node.privateKey());
        signature.update(new byte[] {1});
        byte[] signed = signature.sign();
        signature.initVerify(leaf.getPublicKey());
        signature.update(new byte[] {1});
        assertTrue(signature.verify(signed), "the private key belongs to the certificate");
    }

    @Test
    void aNodeNameThatIsNoHostNameStaysInTheCnOnly() throws Exception {
        ClusterCa ca = ClusterCa.derive(StaticKey.generate(RANDOM), RANDOM);
        X509Certificate leaf = ca.issue("node_1", Instant.now(), Instant.now().plusSeconds(60)).certificate();

        assertEquals(null, leaf.getSubjectAlternativeNames());
        assertEquals(Set.of("node_1"), PeerNames.of(leaf));
    }
}
