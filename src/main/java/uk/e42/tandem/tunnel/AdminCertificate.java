package uk.e42.tandem.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * {@code tandem admin-cert DIR}: a client certificate of the cluster's CA as PEM files, for tools
 * that reach an admin API beyond localhost without the static key: grpcurl ({@code -cacert ca.crt
 * -cert admin.crt -key admin.key}) or the CLI on an admin's host ({@code tandem.tls.mode=pem} with
 * these three files). Handing out these files instead of the key lets the admin in for a while
 * without letting the holder join the cluster as a node for good.
 */
public final class AdminCertificate {
    public static final String CA_FILE = "ca.crt";
    public static final String CERT_FILE = "admin.crt";
    public static final String KEY_FILE = "admin.key";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString("rw-r--r--");

    /** What was written, and until when the certificate is valid. */
    public record Written(Path ca, Path certificate, Path privateKey, Instant notAfter) {
    }

    private AdminCertificate() {
    }

    /**
     * Issues a certificate for {@code name} from the key's CA and writes {@value #CA_FILE},
     * {@value #CERT_FILE} (certificate, then the CA) and {@value #KEY_FILE} (PKCS#8, mode 0600)
     * into {@code dir}, which must exist. Refuses to overwrite any of them.
     */
    public static Written write(StaticKey key, String name, Duration validity, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory (create it first, e.g. mkdir -m 700 " + dir + ")");
        }
        ClusterCa ca = ClusterCa.derive(key, new SecureRandom());
        Instant now = Instant.now();
        NodeIdentity identity = ca.issue(name, now.minus(LinkSecurity.CLOCK_SKEW), now.plus(validity));
        Written written = new Written(dir.resolve(CA_FILE), dir.resolve(CERT_FILE), dir.resolve(KEY_FILE),
                identity.certificate().getNotAfter().toInstant());
        List<Path> created = new ArrayList<>();
        try {
            create(written.ca(), READABLE, certificates(List.of(ca.certificate())), created);
            create(written.certificate(), READABLE, certificates(List.of(identity.chain())), created);
            create(written.privateKey(), OWNER_ONLY, pem("PRIVATE KEY", identity.privateKey().getEncoded()), created);
        } catch (IOException | RuntimeException e) {
            for (Path file : created) {
                Files.deleteIfExists(file);
            }
            throw e;
        }
        return written;
    }

    private static void create(Path file, Set<PosixFilePermission> mode, String content, List<Path> created)
            throws IOException {
        try {
            // the mode is set at creation, so the key is never readable by others, not even briefly
            Files.createFile(file, PosixFilePermissions.asFileAttribute(mode));
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(file.toString(), null, "refusing to overwrite it (remove it first)");
        }
        created.add(file);
        Files.setPosixFilePermissions(file, mode);
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }

    private static String certificates(List<X509Certificate> chain) {
        StringBuilder text = new StringBuilder();
        for (var certificate : chain) {
            try {
                text.append(pem("CERTIFICATE", certificate.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("cannot encode a certificate we just issued", e);
            }
        }
        return text.toString();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
