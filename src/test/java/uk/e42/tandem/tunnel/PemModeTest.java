package uk.e42.tandem.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tandem.tls.mode=pem with files as a cert-manager Secret holds them: loaded, checked, re-read on change. */
class PemModeTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
    }

    private Path secret(TestPki pki, String node) throws Exception {
        Path secret = Files.createDirectories(dir.resolve(node));
        pki.writeSecret(secret, node);
        return secret;
    }

    private LinkSecurity node(Path secret, String name) throws IOException {
        LinkSecurity security = LinkSecurity.open(new TlsSettings(TlsMode.PEM, Path.of("/unused"),
                Optional.of(secret.resolve("ca.crt")), Optional.of(secret.resolve("tls.crt")),
                Optional.of(secret.resolve("tls.key"))), name);
        open.add(security);
        return security;
    }

    private X509Certificate presentedBy(EchoLink server, LinkSecurity client, String peer) throws Exception {
        ManagedChannel channel = server.channel(client.peerClientContext(peer).orElseThrow(), peer);
        open.add(() -> EchoLink.close(channel));
        return (X509Certificate) EchoLink.call(channel, new byte[1]).session().getPeerCertificates()[0];
    }

    @Test
    void nodesWithCertificatesOfOneCaTalkAndPickUpRenewedFiles() throws Exception {
        TestPki pki = new TestPki("cluster CA");
        Path paimonSecret = secret(pki, "paimon");
        LinkSecurity paimon = node(paimonSecret, "paimon");
        LinkSecurity rosaria = node(secret(pki, "rosaria"), "rosaria");
        EchoLink server = new EchoLink(paimon.peerServerContext(List.of("rosaria")).orElseThrow());
        open.add(server);
        BigInteger first = presentedBy(server, rosaria, "paimon").getSerialNumber();

        pki.writeSecret(paimonSecret, "paimon");
        paimon.refresh();

        BigInteger renewed = paimon.identity().orElseThrow().certificate().getSerialNumber();
        assertNotEquals(first, renewed);
        assertEquals(renewed, presentedBy(server, rosaria, "paimon").getSerialNumber(),
                "the running listener presents the renewed certificate");
    }

    @Test
    void aNewCaInTheFilesIsTrustedInsteadOfTheOld() throws Exception {
        TestPki oldCa = new TestPki("old CA");
        Path rosariaSecret = secret(oldCa, "rosaria");
        LinkSecurity rosaria = node(rosariaSecret, "rosaria");
        List<PeerRefusal> refused = new CopyOnWriteArrayList<>();
        rosaria.addRefusalListener(refused::add);
        EchoLink server = new EchoLink(node(secret(oldCa, "paimon"), "paimon").peerServerContext(List.of("rosaria"))
                .orElseThrow());
        open.add(server);
        presentedBy(server, rosaria, "paimon");

        new TestPki("new CA").writeSecret(rosariaSecret, "rosaria");
        rosaria.refresh();

        assertThrows(StatusRuntimeException.class, () -> presentedBy(server, rosaria, "paimon"));
        assertEquals(1, refused.size());
        assertEquals("peer certificate not issued by the CA in " + rosariaSecret.resolve("ca.crt"),
                refused.get(0).reason().replaceFirst(" \\(.*", ""));
    }

    @Test
    void aHalfWrittenRenewalKeepsTheWorkingCertificate() throws Exception {
        TestPki pki = new TestPki("cluster CA");
        Path secret = secret(pki, "paimon");
        LinkSecurity paimon = node(secret, "paimon");
        X509Certificate before = paimon.identity().orElseThrow().certificate();
        Path otherKey = Files.createDirectories(dir.resolve("other"));
        pki.writeSecret(otherKey, "paimon");
        Files.copy(otherKey.resolve("tls.crt"), secret.resolve("tls.crt"), StandardCopyOption.REPLACE_EXISTING);

        IOException failure = assertThrows(IOException.class, paimon::refresh);

        assertTrue(failure.getMessage().startsWith(secret.resolve("tls.key") + " does not belong to the certificate in "
                + secret.resolve("tls.crt")), failure.getMessage());
        assertEquals(before, paimon.identity().orElseThrow().certificate());
    }

    @Test
    void aCertificateForAnotherNodeIsRefusedAtStart() throws Exception {
        Path secret = secret(new TestPki("cluster CA"), "rosaria");

        IOException failure = assertThrows(IOException.class, () -> node(secret, "paimon"));

        assertEquals("certificate in " + secret.resolve("tls.crt") + " (tandem.tls.cert-file) is for node rosaria,"
                + " expected paimon; this node is paimon (tandem.node-name)", failure.getMessage());
    }

    @Test
    void missingSettingsAndFilesAreNamed() throws Exception {
        IOException unset = assertThrows(IOException.class, () -> LinkSecurity.open(new TlsSettings(TlsMode.PEM,
                Path.of("/unused"), Optional.empty(), Optional.of(dir.resolve("tls.crt")),
                Optional.of(dir.resolve("tls.key"))), "paimon"));
        assertTrue(unset.getMessage().startsWith("tandem.tls.ca-file is not set"), unset.getMessage());

        IOException missing = assertThrows(IOException.class, () -> node(dir, "paimon"));
        assertEquals(dir.resolve("ca.crt") + ": missing (tandem.tls.ca-file)", missing.getMessage());

        IOException noKey = assertThrows(IOException.class, () -> LinkSecurity.open(new TlsSettings(
                TlsMode.STATIC_KEY, dir.resolve("static.key"), Optional.empty(), Optional.empty(), Optional.empty()),
                "paimon"));
        assertTrue(noKey.getMessage().contains("create it on one node with 'tandem genkey secret "
                + dir.resolve("static.key") + "'"), noKey.getMessage());
    }

    @Test
    void theStaticKeyModeReadsTheKeyFile() throws Exception {
        Path keyFile = dir.resolve("static.key");
        StaticKey key = StaticKey.generate(new SecureRandom());
        key.writeNew(keyFile);
        LinkSecurity fromFile = LinkSecurity.open(new TlsSettings(TlsMode.STATIC_KEY, keyFile, Optional.empty(),
                Optional.empty(), Optional.empty()), "paimon");
        open.add(fromFile);
        try (LinkSecurity direct = LinkSecurity.staticKey(key, "rosaria", Clock.systemUTC())) {
            assertEquals(direct.trust().orElseThrow(), fromFile.trust().orElseThrow());
        }
    }
}
