package uk.e42.tandem.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminCertificateTest {
    private static final StaticKey KEY = StaticKey.generate(new SecureRandom());

    @Test
    void writesACertificateOfTheClusterCaThatItsNodesAcceptAsClient(@TempDir Path dir) throws Exception {
        AdminCertificate.Written written = AdminCertificate.write(KEY, "alice", Duration.ofDays(2), dir);

        PemMaterial.Snapshot files = PemMaterial.snapshot(written.ca(), written.certificate(), written.privateKey());
        TrustMaterial nodesTrust = new TrustMaterial(List.of(ClusterCa.derive(KEY, new SecureRandom()).certificate()),
                "this cluster's key");
        NodeIdentity admin = PemMaterial.identity(files, written.certificate(), written.privateKey());
        assertEquals("alice", PeerCheck.check(admin.chain(), nodesTrust, PeerCheck.Role.CLIENT, List.of(),
                Instant.now(), "admin certificate"));
        assertEquals(nodesTrust.authorities(), PemMaterial.trust(files, written.ca()).authorities());
        assertTrue(written.notAfter().isAfter(Instant.now().plus(Duration.ofDays(2)).minusSeconds(60)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(written.privateKey())));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(written.ca())));
    }

    @Test
    void anotherClustersNodesRefuseIt(@TempDir Path dir) throws Exception {
        AdminCertificate.Written written = AdminCertificate.write(KEY, "admin", Duration.ofDays(1), dir);
        NodeIdentity admin = PemMaterial.identity(PemMaterial.snapshot(written.ca(), written.certificate(),
                written.privateKey()), written.certificate(), written.privateKey());
        TrustMaterial strangers = new TrustMaterial(List.of(ClusterCa.derive(StaticKey.generate(new SecureRandom()),
                new SecureRandom()).certificate()), "this cluster's key");

        PeerRefusedException refused = assertThrows(PeerRefusedException.class, () -> PeerCheck.check(admin.chain(),
                strangers, PeerCheck.Role.CLIENT, List.of(), Instant.now(), "peer certificate"));
        assertTrue(refused.getMessage().startsWith("peer certificate not issued by this cluster's key"),
                refused.getMessage());
    }

    @Test
    void neverOverwritesAndLeavesNothingHalfWritten(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(AdminCertificate.KEY_FILE), "an older key\n");

        assertThrows(FileAlreadyExistsException.class, () -> AdminCertificate.write(KEY, "admin", Duration.ofDays(1),
                dir));
        assertEquals("an older key\n", Files.readString(dir.resolve(AdminCertificate.KEY_FILE)));
        assertFalse(Files.exists(dir.resolve(AdminCertificate.CA_FILE)));
        assertFalse(Files.exists(dir.resolve(AdminCertificate.CERT_FILE)));
    }
}
