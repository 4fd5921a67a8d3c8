package uk.e42.tandem.tunnel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.operator.ContentSigner;

/**
 * The certificate authority both nodes derive from the shared {@link StaticKey}: same key file,
 * same CA key pair, byte-identical CA certificate; so one file gives mutual TLS without a PKI.
 *
 * <p>The CA's private scalar comes from HKDF-SHA256 (RFC 5869) over the key with a fixed label,
 * reduced into [1, n-1] of NIST P-256 from 384 bits (FIPS 186-5 A.2.1, negligible bias). P-256
 * ECDSA because every TLS 1.3 stack Tandem may run on (the JDK's SunJSSE, Netty's OpenSSL) offers
 * {@code ecdsa_secp256r1_sha256}. Signatures are deterministic (RFC 6979), which keeps the CA
 * certificate the same on both nodes and needs no randomness for the long-lived key.
 */
public final class ClusterCa {
    /** Changing the label (or the curve) makes a new CA from the same key file: a protocol version. */
    static final byte[] HKDF_LABEL = "tandem link CA v1: ECDSA P-256".getBytes(StandardCharsets.US_ASCII);
    static final byte[] HKDF_SALT = "uk.e42.tandem".getBytes(StandardCharsets.US_ASCII);
    private static final X9ECParameters P256 = ECNamedCurveTable.getByName("secp256r1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(P256);
    private static final AlgorithmIdentifier ECDSA_SHA256 = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
    /** The CA never expires on its own; the key file is what an operator rotates. */
    private static final Date CA_NOT_BEFORE = Date.from(Instant.parse("2000-01-01T00:00:00Z"));
    private static final Date CA_NOT_AFTER = Date.from(Instant.parse("9999-12-31T23:59:59Z"));

    private final ECPrivateKeyParameters caKey;
    private final X509Certificate certificate;
    private final SecureRandom random;

    private ClusterCa(ECPrivateKeyParameters caKey, X509Certificate certificate, SecureRandom random) {
        this.caKey = caKey;
        this.certificate = certificate;
        this.random = random;
    }

    public static ClusterCa derive(StaticKey key, SecureRandom random) {
        byte[] ikm = key.bytes();
        byte[] okm = new byte[48];
        try {
            HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
            hkdf.init(new HKDFParameters(ikm, HKDF_SALT, HKDF_LABEL));
            hkdf.generateBytes(okm, 0, okm.length);
            BigInteger d = new BigInteger(1, okm).mod(P256.getN().subtract(BigInteger.ONE)).add(BigInteger.ONE);
            ECPrivateKeyParameters caKey = new ECPrivateKeyParameters(d, DOMAIN);
            PublicKey caPublic = toJca(DOMAIN.getG().multiply(d).normalize());
            X500Name subject = caName(caPublic);
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(caPublic.getEncoded());
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(subject, serial(caPublic.getEncoded()),
                    CA_NOT_BEFORE, CA_NOT_AFTER, subject, spki);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    new BcX509ExtensionUtils().createSubjectKeyIdentifier(spki));
            return new ClusterCa(caKey, toJca(builder.build(new DeterministicSigner(caKey))), random);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the link CA: " + e.getMessage(), e);
        } finally {
            Arrays.fill(ikm, (byte) 0);
            Arrays.fill(okm, (byte) 0);
        }
    }

    /** "Tandem link CA 1a2b3c4d": the fingerprint tells two clusters' CAs apart in logs and errors. */
    private static X500Name caName(PublicKey caPublic) throws GeneralSecurityException {
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(caPublic.getEncoded());
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Tandem")
                .addRDN(BCStyle.CN, "Tandem link CA " + HexFormat.of().formatHex(hash, 0, 4)).build();
    }

    private static BigInteger serial(byte[] seed) throws GeneralSecurityException {
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(seed);
        return new BigInteger(1, Arrays.copyOf(hash, 16));
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A fresh key pair and a certificate for it naming {@code nodeName} (CN and, where the name is a
     * DNS label, subjectAltName), usable as TLS server and client: every node is both.
     */
    public NodeIdentity issue(String nodeName, Instant notBefore, Instant notAfter) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair pair = generator.generateKeyPair();
            byte[] serial = new byte[16];
            random.nextBytes(serial);
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Tandem")
                    .addRDN(BCStyle.CN, nodeName).build();
            X509CertificateHolder ca = new X509CertificateHolder(certificate.getEncoded());
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded());
            BcX509ExtensionUtils extensions = new BcX509ExtensionUtils();
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(ca.getSubject(),
                    new BigInteger(1, serial), Date.from(notBefore), Date.from(notAfter), subject, spki);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            if (PeerNames.isDnsName(nodeName)) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.dNSName, nodeName)));
            }
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(spki));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(ca.getSubjectPublicKeyInfo()));
            X509Certificate leaf = toJca(builder.build(new DeterministicSigner(caKey)));
            return new NodeIdentity(pair.getPrivate(), new X509Certificate[] {leaf, certificate});
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for node " + nodeName + ": " + e.getMessage(),
                    e);
        }
    }

    private static PublicKey toJca(ECPoint point) throws GeneralSecurityException {
        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec("secp256r1"));
        ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
        java.security.spec.ECPoint w = new java.security.spec.ECPoint(point.getAffineXCoord().toBigInteger(),
                point.getAffineYCoord().toBigInteger());
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
    }

    private static X509Certificate toJca(X509CertificateHolder holder) throws IOException, GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
    }

    /** ECDSA-SHA256 with RFC 6979 nonces, on BouncyCastle's lightweight API (no JCA provider to register). */
    private static final class DeterministicSigner implements ContentSigner {
        private final ECPrivateKeyParameters key;
        private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

        DeterministicSigner(ECPrivateKeyParameters key) {
            this.key = key;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return ECDSA_SHA256;
        }

        @Override
        public OutputStream getOutputStream() {
            return tbs;
        }

        @Override
        public byte[] getSignature() {
            SHA256Digest digest = new SHA256Digest();
            byte[] hash = new byte[digest.getDigestSize()];
            byte[] data = tbs.toByteArray();
            digest.update(data, 0, data.length);
            digest.doFinal(hash, 0);
            ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
            signer.init(true, key);
            BigInteger[] rs = signer.generateSignature(hash);
            ASN1EncodableVector sequence = new ASN1EncodableVector();
            sequence.add(new ASN1Integer(rs[0]));
            sequence.add(new ASN1Integer(rs[1]));
            try {
                return new DERSequence(sequence).getEncoded();
            } catch (IOException e) {
                throw new IllegalStateException("cannot encode an ECDSA signature", e);
            }
        }
    }
}
