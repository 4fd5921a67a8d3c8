package uk.e42.tandem.tunnel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Reads the PEM trio of {@code tandem.tls.mode=pem}: CA certificate(s), this node's certificate
 * chain and its private key (PKCS#8, or the PKCS#1 / SEC1 forms cert-manager and openssl write).
 * The file contents are kept to tell a real change (a renewed Secret) from a touch.
 */
final class PemMaterial {
    private PemMaterial() {
    }

    /** The three files' contents; equal snapshots mean nothing to reload. */
    record Snapshot(byte[] ca, byte[] cert, byte[] key) {
        boolean sameAs(Snapshot other) {
            return other != null && Arrays.equals(ca, other.ca) && Arrays.equals(cert, other.cert)
                    && Arrays.equals(key, other.key);
        }
    }

    static Snapshot snapshot(Path caFile, Path certFile, Path keyFile) throws IOException {
        return new Snapshot(readSetting(caFile, "tandem.tls.ca-file"), readSetting(certFile, "tandem.tls.cert-file"),
                readSetting(keyFile, "tandem.tls.private-key-file"));
    }

    static TrustMaterial trust(Snapshot snapshot, Path caFile) throws IOException {
        List<X509Certificate> cas = certificates(snapshot.ca(), caFile);
        return new TrustMaterial(cas, "the CA in " + caFile);
    }

    static NodeIdentity identity(Snapshot snapshot, Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = certificates(snapshot.cert(), certFile);
        PrivateKey key = privateKey(snapshot.key(), keyFile);
        requirePair(key, chain.get(0), certFile, keyFile);
        return new NodeIdentity(key, chain.toArray(X509Certificate[]::new));
    }

    /** A key that does not belong to the certificate fails every handshake with an obscure error; say it here. */
    private static void requirePair(PrivateKey key, X509Certificate certificate, Path certFile, Path keyFile)
            throws IOException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new IOException(keyFile + ": " + key.getAlgorithm()
                    + " keys are not supported for TLS here; use an EC (P-256) or RSA key");
        };
        try {
            byte[] probe = "tandem key pair check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(keyFile + " does not belong to the certificate in " + certFile + ": "
                    + e.getMessage(), e);
        }
        throw new IOException(keyFile + " does not belong to the certificate in " + certFile
                + " (a renewed Secret half written? both files must come from the same issuance)");
    }

    private static byte[] readSetting(Path file, String setting) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "missing (" + setting + ")");
        }
    }

    private static List<X509Certificate> certificates(byte[] pem, Path file) throws IOException {
        try {
            List<X509Certificate> certificates = new ArrayList<>();
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (var certificate : factory.generateCertificates(new ByteArrayInputStream(pem))) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new IOException(file + ": no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new IOException(file + ": not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(byte[] pem, Path file) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                if (item instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (item instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
            }
        } catch (PEMException e) {
            throw new IOException(file + ": cannot read the private key: " + e.getMessage(), e);
        }
        throw new IOException(file + ": no unencrypted private key (BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or"
                + " BEGIN RSA PRIVATE KEY) in it");
    }
}
