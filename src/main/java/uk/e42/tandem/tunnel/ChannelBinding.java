package uk.e42.tandem.tunnel;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The value that ties the cram-hmac handshake to one TLS session, so that a relay which terminates
 * TLS on both sides cannot pass a challenge response from one session on to another. The handshake
 * feeds {@link #hmacInput()} (type name and value) into every HMAC it computes and checks.
 *
 * <p>Two kinds, strongest first:
 * <ul>
 * <li>{@code tls-exporter} (RFC 9266; RFC 8446 section 7.5 exporter, label
 *     "EXPORTER-Channel-Binding", empty context, 32 bytes). Unique to the session: derived from its
 *     traffic secrets, which no relay can share between its two sessions, even one holding a node's
 *     private key. The JDK has the exporter from release 25 on
 *     ({@code ExtendedSSLSession.exportKeyingMaterialData}); Tandem is built for release 21, so it
 *     is looked up at run time. Netty's JDK engine hands out the JDK's own session, so it works
 *     through gRPC too; on Netty's OpenSSL engine (netty-tcnative, not used here) it would not.</li>
 * <li>{@code tls-server-end-point} (RFC 5929 section 4): SHA-256 of the server's certificate
 *     (SHA-256 because our certificates are signed with SHA-256; MD5 and SHA-1 are mapped to
 *     SHA-256 as the RFC says; stronger hashes are used as they are). Every JDK has it. It binds to
 *     the server's identity, not to the session: a relay that presents any other certificate is
 *     caught, because the two ends then hash different certificates. Nodes renew their certificate
 *     with a fresh key pair at every start, so only a relay holding the server's current private key
 *     (copied from memory, or from a PEM key file) could pass it; such a relay could impersonate
 *     the server anyway.</li>
 * </ul>
 * Both ends must use the same kind: the handshake exchanges {@link #supportedTypes()} (inside TLS)
 * and both call {@link #of(SSLSession, boolean, Collection)} with the peer's list, which picks the
 * strongest kind both have. A pair where one node runs JDK 21 thus falls back to
 * {@code tls-server-end-point}.
 */
public record ChannelBinding(String type, byte[] value) {
    public static final String TLS_EXPORTER = "tls-exporter";
    public static final String TLS_SERVER_END_POINT = "tls-server-end-point";
    private static final String EXPORTER_LABEL = "EXPORTER-Channel-Binding";
    private static final int EXPORTER_LENGTH = 32;
    private static final Optional<MethodHandle> EXPORTER = findExporter();

    public ChannelBinding {
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** What the handshake feeds into its HMACs: "type:" in ASCII, then the value. */
    public byte[] hmacInput() {
        byte[] prefix = (type + ":").getBytes(StandardCharsets.US_ASCII);
        byte[] input = Arrays.copyOf(prefix, prefix.length + value.length);
        System.arraycopy(value, 0, input, prefix.length, value.length);
        return input;
    }

    /** The kinds this runtime can compute, strongest first. */
    public static List<String> supportedTypes() {
        return EXPORTER.isPresent() ? List.of(TLS_EXPORTER, TLS_SERVER_END_POINT) : List.of(TLS_SERVER_END_POINT);
    }

    /**
     * The strongest binding both ends support, for an established session.
     *
     * @param weAreServer whether this end accepted the connection (tls-server-end-point hashes the
     *        server's certificate: our own then, the peer's otherwise)
     * @param peerTypes what the peer said it supports
     */
    public static ChannelBinding of(SSLSession session, boolean weAreServer, Collection<String> peerTypes)
            throws SSLPeerUnverifiedException {
        if (peerTypes.contains(TLS_EXPORTER)) {
            Optional<ChannelBinding> exported = tlsExporter(session);
            if (exported.isPresent()) {
                return exported.get();
            }
        }
        if (!peerTypes.contains(TLS_SERVER_END_POINT)) {
            throw new SSLPeerUnverifiedException("no channel binding in common: the peer offers " + peerTypes
                    + ", this node " + supportedTypes());
        }
        return tlsServerEndPoint(session, weAreServer);
    }

    /** RFC 9266 tls-exporter; empty when this JDK has no exporter (before release 25) or the session's engine has none (BoringSSL). */
    public static Optional<ChannelBinding> tlsExporter(SSLSession session) {
        if (EXPORTER.isEmpty() || !(session instanceof ExtendedSSLSession extended)) {
            return Optional.empty();
        }
        try {
            byte[] value = (byte[]) EXPORTER.get().invoke(extended, EXPORTER_LABEL, new byte[0], EXPORTER_LENGTH);
            return Optional.of(new ChannelBinding(TLS_EXPORTER, value));
        } catch (UnsupportedOperationException engineWithoutExporter) {
            return Optional.empty();
        } catch (Error | RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            // SSLKeyException: the session is not established or was negotiated below TLS 1.2
            throw new IllegalStateException("cannot export the channel binding from " + session.getProtocol()
                    + " session: " + e.getMessage(), e);
        }
    }

    /** RFC 5929 tls-server-end-point. */
    public static ChannelBinding tlsServerEndPoint(SSLSession session, boolean weAreServer)
            throws SSLPeerUnverifiedException {
        Certificate[] chain = weAreServer ? session.getLocalCertificates() : session.getPeerCertificates();
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate server)) {
            throw new SSLPeerUnverifiedException("the session has no server certificate to bind to");
        }
        try {
            return new ChannelBinding(TLS_SERVER_END_POINT,
                    MessageDigest.getInstance(endPointHash(server.getSigAlgName())).digest(server.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot hash the server certificate: " + e.getMessage(), e);
        }
    }

    /** RFC 5929 section 4.1: the certificate's signature hash, but SHA-256 for MD5 and SHA-1. */
    static String endPointHash(String signatureAlgorithm) {
        String algorithm = signatureAlgorithm.toUpperCase(Locale.ROOT);
        if (algorithm.startsWith("SHA384")) {
            return "SHA-384";
        }
        if (algorithm.startsWith("SHA512")) {
            return "SHA-512";
        }
        return "SHA-256";
    }

    private static Optional<MethodHandle> findExporter() {
        try {
            return Optional.of(MethodHandles.publicLookup().findVirtual(ExtendedSSLSession.class,
                    "exportKeyingMaterialData", MethodType.methodType(byte[].class, String.class, byte[].class,
                            int.class)));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ChannelBinding binding && type.equals(binding.type)
                && Arrays.equals(value, binding.value);
    }

    @Override
    public int hashCode() {
        return 31 * type.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return type + ":" + HexFormat.of().formatHex(value);
    }
}
