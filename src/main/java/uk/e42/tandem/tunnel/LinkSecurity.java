package uk.e42.tandem.tunnel;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jboss.logging.Logger;

/**
 * How this node secures its links, built once at start from {@code tandem.tls.*} and the node's
 * name. It hands out Netty {@link SslContext}s for gRPC (TLS 1.3 only, mutual authentication,
 * ALPN h2 via {@link GrpcSslContexts}; BoringSSL for peer links where it loads, the JDK's engine for
 * the admin API and where it does not), checks peers by CA and node name, and
 * keeps its certificate fresh: in static-key mode it issues itself a short-lived certificate and
 * renews it at half-life; in PEM mode it re-reads the files when they change. Contexts handed out
 * earlier see the renewed material; no listener needs restarting.
 */
public final class LinkSecurity implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LinkSecurity.class);
    /** Short enough that a copied certificate soon stops working; renewed at half-life. */
    public static final Duration NODE_CERTIFICATE_VALIDITY = Duration.ofHours(24);
    /** Back-dated so a peer whose clock is a little behind does not see a certificate from the future. */
    static final Duration CLOCK_SKEW = Duration.ofHours(1);
    /** A CLI call lasts seconds; events2 may stream longer, but a live connection keeps its handshake. */
    static final Duration ADMIN_CLIENT_VALIDITY = Duration.ofHours(1);
    private static final Duration REFRESH_INTERVAL = Duration.ofSeconds(10);
    private static final String TLS_1_3 = "TLSv1.3";

    private final TlsMode mode;
    private final String nodeName;
    private final Clock clock;
    private final Source source;
    private final LinkKeyManager keyManager;
    private final List<Consumer<PeerRefusal>> refusalListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong generations = new AtomicLong();
    private final ScheduledExecutorService refresher;
    private volatile LinkMaterial material;
    /** Touched by the refresher thread only. */
    private String refreshProblem;

    private LinkSecurity(TlsMode mode, String nodeName, Clock clock, Source source) {
        this.mode = mode;
        this.nodeName = nodeName;
        this.clock = clock;
        this.source = source;
        if (source == null) {
            keyManager = null;
            refresher = null;
            return;
        }
        material = source.load(generations.incrementAndGet());
        keyManager = new LinkKeyManager(() -> material);
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tandem-tls-refresh");
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, REFRESH_INTERVAL.toMillis(),
                REFRESH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** From the settings; fails with what is wrong and which setting to fix. */
    public static LinkSecurity open(TlsSettings settings, String nodeName) throws IOException {
        return switch (settings.mode()) {
            case STATIC_KEY -> staticKey(readKey(settings.keyFile()), nodeName, Clock.systemUTC());
            case PEM -> pem(required(settings.caFile(), "tandem.tls.ca-file"),
                    required(settings.certFile(), "tandem.tls.cert-file"),
                    required(settings.privateKeyFile(), "tandem.tls.private-key-file"), nodeName, Clock.systemUTC());
            case PLAINTEXT -> plaintext(nodeName);
        };
    }

    public static LinkSecurity staticKey(StaticKey key, String nodeName, Clock clock) {
        ClusterCa ca = ClusterCa.derive(key, new SecureRandom());
        LOG.infof("link security: TLS 1.3 (%s), node %s, certificate from the shared static key (CA %s)",
                engineName(), nodeName, ca.certificate().getSubjectX500Principal().getName());
        return new LinkSecurity(TlsMode.STATIC_KEY, nodeName, clock, new StaticKeySource(ca, nodeName, clock));
    }

    public static LinkSecurity pem(Path caFile, Path certFile, Path privateKeyFile, String nodeName, Clock clock)
            throws IOException {
        LOG.infof("link security: TLS 1.3 (%s), node %s, certificate %s, CA %s (re-read when they change)",
                engineName(), nodeName, certFile, caFile);
        try {
            return new LinkSecurity(TlsMode.PEM, nodeName, clock,
                    new PemSource(caFile, certFile, privateKeyFile, nodeName, clock));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    public static LinkSecurity plaintext(String nodeName) {
        LOG.warnf("link security: tandem.tls.mode=plaintext: node %s talks to its peers UNENCRYPTED and"
                + " UNAUTHENTICATED; only do this on links already inside a VPN", nodeName);
        return new LinkSecurity(TlsMode.PLAINTEXT, nodeName, Clock.systemUTC(), null);
    }

    private static StaticKey readKey(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException("tandem.tls.key-file " + file + " does not exist; create it on one node with"
                    + " 'tandem genkey secret " + file + "' and copy it to the peer (or point tandem.tls.key-file"
                    + " at the OpenVPN static key both nodes already share)");
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
            LOG.warnf("tandem.tls.key-file %s can be read by other users; anyone who reads it can join the"
                    + " cluster (chmod 600 %s)", file, file);
        }
        return StaticKey.read(file);
    }

    private static Path required(Optional<Path> file, String setting) throws IOException {
        return file.orElseThrow(() -> new IOException(setting + " is not set; tandem.tls.mode=pem needs"
                + " tandem.tls.ca-file, tandem.tls.cert-file and tandem.tls.private-key-file"));
    }

    public TlsMode mode() {
        return mode;
    }

    public boolean encrypted() {
        return source != null;
    }

    public String nodeName() {
        return nodeName;
    }

    /** This node's current certificate chain and key; empty in plaintext mode. */
    public Optional<NodeIdentity> identity() {
        return Optional.ofNullable(material).map(LinkMaterial::identity);
    }

    /** The CA certificates peers must chain to; empty in plaintext mode. */
    public Optional<TrustMaterial> trust() {
        return Optional.ofNullable(material).map(LinkMaterial::trust);
    }

    /** Called for every peer this node refuses during a handshake, on the thread doing the handshake. */
    public void addRefusalListener(Consumer<PeerRefusal> listener) {
        refusalListeners.add(listener);
    }

    /**
     * For a peer listener (gRPC {@code NettyServerBuilder.sslContext}): clients must present a
     * certificate of our CA naming one of {@code peers} (the {@code on HOST} names of the resource's
     * other nodes). Empty in plaintext mode.
     */
    public Optional<SslContext> peerServerContext(Collection<String> peers) {
        requireNames(peers);
        return serverContext(List.copyOf(peers), peerProvider());
    }

    /**
     * For connecting to {@code peer} (gRPC {@code NettyChannelBuilder.sslContext}; set
     * {@code overrideAuthority(peer)} so the TLS SNI and gRPC authority carry the node name, not the
     * address): the server must present a certificate of our CA naming {@code peer}.
     */
    public Optional<SslContext> peerClientContext(String peer) {
        requireNames(List.of(peer));
        return clientContext(List.of(peer), peerProvider());
    }

    /**
     * For the admin API when it listens beyond localhost (see {@link #adminNeedsTls(String)}):
     * clients need a certificate of the same CA, for any node name.
     */
    public Optional<SslContext> adminServerContext() {
        if (!encrypted()) {
            return Optional.empty();
        }
        return Optional.of(build(SslContextBuilder.forServer(keyManager).clientAuth(ClientAuth.REQUIRE),
                new LinkTrustManager(() -> material, List.of(), clock, refusal -> LOG.warnf(
                        "admin API of %s: refused a client %s: %s", nodeName, refusal.address(), refusal.reason())),
                SslProvider.JDK));
    }

    /**
     * For the CLI (or any tool) reaching an admin API beyond localhost, from the same settings the
     * daemon reads: in static-key mode it derives the CA from {@code tandem.tls.key-file} and issues
     * itself a certificate for {@code clientName} valid for {@link #ADMIN_CLIENT_VALIDITY}; in PEM
     * mode it shows the certificate in {@code tandem.tls.cert-file}, whatever name that carries (an
     * admin's certificate names the admin, not a node). The daemon must belong to the same CA.
     * One-shot: no renewal, no log lines (the CLI's output is the verb's).
     */
    public static SslContext adminClientContext(TlsSettings settings, String clientName) throws IOException {
        LinkMaterial material = switch (settings.mode()) {
            case STATIC_KEY -> {
                ClusterCa ca = ClusterCa.derive(readKey(settings.keyFile()), new SecureRandom());
                Instant now = Instant.now();
                yield new LinkMaterial(1, ca.issue(clientName, now.minus(CLOCK_SKEW), now.plus(ADMIN_CLIENT_VALIDITY)),
                        new TrustMaterial(List.of(ca.certificate()), "this cluster's key"));
            }
            case PEM -> {
                Path caFile = required(settings.caFile(), "tandem.tls.ca-file");
                Path certFile = required(settings.certFile(), "tandem.tls.cert-file");
                Path keyFile = required(settings.privateKeyFile(), "tandem.tls.private-key-file");
                PemMaterial.Snapshot files = PemMaterial.snapshot(caFile, certFile, keyFile);
                yield new LinkMaterial(1, PemMaterial.identity(files, certFile, keyFile),
                        PemMaterial.trust(files, caFile));
            }
            case PLAINTEXT -> throw new IOException("tandem.tls.mode=plaintext has no client certificate to show;"
                    + " set tandem.tls.mode=static-key with tandem.tls.key-file (or pem with tandem.tls.ca-file,"
                    + " tandem.tls.cert-file and tandem.tls.private-key-file)");
        };
        return build(SslContextBuilder.forClient().keyManager(new LinkKeyManager(() -> material)),
                new LinkTrustManager(() -> material, List.of(), Clock.systemUTC(), refusal -> { }), SslProvider.JDK);
    }

    /** For TLS stacks that take a key manager (Vert.x: {@code KeyCertOptions.wrap(...)}). */
    public Optional<X509ExtendedKeyManager> keyManager() {
        return Optional.ofNullable(keyManager);
    }

    /** For TLS stacks that take a trust manager (Vert.x: {@code TrustOptions.wrap(...)}); empty names accept any node. */
    public Optional<X509ExtendedTrustManager> trustManager(Collection<String> peers) {
        return encrypted() ? Optional.of(trustManagerFor(List.copyOf(peers))) : Optional.empty();
    }

    /**
     * Checks an established session's peer again, e.g. when a listener serves several peers and
     * the handshake code learns only then which one it expects.
     *
     * @return the peer's node name
     */
    public String verifyPeer(SSLSession session, boolean weAreServer, Collection<String> expected)
            throws PeerRefusedException {
        if (!encrypted()) {
            throw new IllegalStateException("tandem.tls.mode=plaintext: there is no peer certificate to verify");
        }
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            throw new PeerRefusedException("peer certificate missing: " + e.getMessage(), e);
        }
        X509Certificate[] x509 = Arrays.stream(chain).map(X509Certificate.class::cast)
                .toArray(X509Certificate[]::new);
        return PeerCheck.check(x509, material.trust(), weAreServer ? PeerCheck.Role.CLIENT : PeerCheck.Role.SERVER,
                expected, clock.instant(), "peer certificate");
    }

    /** "TLSv1.3 TLS_AES_256_GCM_SHA384": for the connect log line. */
    public static String describe(SSLSession session) {
        return session.getProtocol() + " " + session.getCipherSuite();
    }

    /**
     * Whether the admin API on {@code host} must require client certificates: everything but the
     * loopback interface (where the operating system already limits who connects) does.
     */
    public static boolean adminNeedsTls(String host) {
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    return true;
                }
            }
            return false;
        } catch (UnknownHostException e) {
            return true;
        }
    }

    /** Renews the node certificate if due, re-reads changed PEM files; keeps the old material on errors. */
    public void refresh() throws IOException {
        if (source == null) {
            return;
        }
        synchronized (source) {
            LinkMaterial before = material;
            LinkMaterial after = source.refreshed(before, generations::incrementAndGet);
            if (after != before) {
                keyManager.retire(before);
                material = after;
            }
        }
    }

    /** Runs every few seconds: a lasting problem is logged when it appears or changes, not at every tick. */
    private void refreshQuietly() {
        try {
            refresh();
            if (refreshProblem != null) {
                LOG.infof("link security: the certificate files are readable again");
                refreshProblem = null;
            }
        } catch (IOException | RuntimeException e) {
            if (!String.valueOf(e.getMessage()).equals(refreshProblem)) {
                LOG.warnf("link security: keeping the current certificate; cannot refresh it: %s", e.getMessage());
            }
            refreshProblem = String.valueOf(e.getMessage());
        }
    }

    private Optional<SslContext> serverContext(List<String> peers, SslProvider provider) {
        if (!encrypted()) {
            return Optional.empty();
        }
        return Optional.of(build(SslContextBuilder.forServer(keyManager).clientAuth(ClientAuth.REQUIRE),
                trustManagerFor(peers), provider));
    }

    private Optional<SslContext> clientContext(List<String> peers, SslProvider provider) {
        if (!encrypted()) {
            return Optional.empty();
        }
        return Optional.of(build(SslContextBuilder.forClient().keyManager(keyManager), trustManagerFor(peers),
                provider));
    }

    /**
     * The peer links' TLS engine: BoringSSL (netty-tcnative) where its native library loads, the JDK's
     * otherwise. The JDK's SSLEngine cost replication half its plaintext throughput (bench/README.md);
     * what BoringSSL lacks is the RFC 8446 exporter, which the peer links do not use (they bind to
     * tls-server-end-point, see node.PeerLinkSecurity).
     */
    public static SslProvider peerProvider() {
        return SslProvider.isAlpnSupported(SslProvider.OPENSSL) && SslProvider.isTlsv13Supported(SslProvider.OPENSSL)
                ? SslProvider.OPENSSL
                : SslProvider.JDK;
    }

    /** For the start-up line: which engine encrypts the peer links. */
    private static String engineName() {
        return peerProvider() == SslProvider.OPENSSL ? "BoringSSL for peer links" : "the JDK's engine for peer links";
    }

    private static SslContext build(SslContextBuilder builder, X509ExtendedTrustManager trust, SslProvider provider) {
        try {
            return GrpcSslContexts.configure(builder, provider).protocols(TLS_1_3).trustManager(trust).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS 1.3: " + e.getMessage(), e);
        }
    }

    private LinkTrustManager trustManagerFor(List<String> peers) {
        return new LinkTrustManager(() -> material, peers, clock, this::refused);
    }

    private void refused(PeerRefusal refusal) {
        if (refusal.peerRole() == PeerCheck.Role.CLIENT) {
            LOG.warnf("refused a peer connecting to %s %s: %s", nodeName, refusal.address(), refusal.reason());
        } else {
            LOG.warnf("refused peer %s that %s connected to: %s", refusal.address(), nodeName, refusal.reason());
        }
        refusalListeners.forEach(listener -> listener.accept(refusal));
    }

    private static void requireNames(Collection<String> peers) {
        if (peers.isEmpty() || peers.stream().anyMatch(p -> p == null || p.isBlank())) {
            throw new IllegalArgumentException("peer node names needed (the 'on HOST' names), got " + peers);
        }
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }

    /** Where a generation of link material comes from. */
    private interface Source {
        LinkMaterial load(long generation);

        /** The same instance when nothing changed. */
        LinkMaterial refreshed(LinkMaterial before, LongSupplier nextGeneration)
                throws IOException;
    }

    private static final class StaticKeySource implements Source {
        private final ClusterCa ca;
        private final String nodeName;
        private final Clock clock;

        StaticKeySource(ClusterCa ca, String nodeName, Clock clock) {
            this.ca = ca;
            this.nodeName = nodeName;
            this.clock = clock;
        }

        @Override
        public LinkMaterial load(long generation) {
            Instant now = clock.instant();
            NodeIdentity identity = ca.issue(nodeName, now.minus(CLOCK_SKEW), now.plus(NODE_CERTIFICATE_VALIDITY));
            LOG.infof("link security: node %s issued itself a certificate valid until %s", nodeName,
                    identity.certificate().getNotAfter().toInstant());
            return new LinkMaterial(generation, identity, new TrustMaterial(List.of(ca.certificate()),
                    "this cluster's key"));
        }

        @Override
        public LinkMaterial refreshed(LinkMaterial before, LongSupplier nextGeneration) {
            Instant issued = before.identity().certificate().getNotBefore().toInstant().plus(CLOCK_SKEW);
            Instant expires = before.identity().certificate().getNotAfter().toInstant();
            Instant halfLife = issued.plus(Duration.between(issued, expires).dividedBy(2));
            return clock.instant().isBefore(halfLife) ? before : load(nextGeneration.getAsLong());
        }
    }

    private static final class PemSource implements Source {
        private final Path caFile;
        private final Path certFile;
        private final Path keyFile;
        private final String nodeName;
        private final Clock clock;
        private PemMaterial.Snapshot loaded;

        PemSource(Path caFile, Path certFile, Path keyFile, String nodeName, Clock clock) {
            this.caFile = caFile;
            this.certFile = certFile;
            this.keyFile = keyFile;
            this.nodeName = nodeName;
            this.clock = clock;
        }

        @Override
        public LinkMaterial load(long generation) {
            try {
                return read(generation, PemMaterial.snapshot(caFile, certFile, keyFile));
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }

        @Override
        public LinkMaterial refreshed(LinkMaterial before, LongSupplier nextGeneration)
                throws IOException {
            PemMaterial.Snapshot snapshot = PemMaterial.snapshot(caFile, certFile, keyFile);
            if (snapshot.sameAs(loaded)) {
                return before;
            }
            LinkMaterial material = read(nextGeneration.getAsLong(), snapshot);
            LOG.infof("link security: re-read %s, %s and %s; certificate now valid until %s", caFile, certFile,
                    keyFile, material.identity().certificate().getNotAfter().toInstant());
            return material;
        }

        /** Checks our own certificate as a peer would, so a wrong file fails here and not at every peer. */
        private LinkMaterial read(long generation, PemMaterial.Snapshot snapshot) throws IOException {
            TrustMaterial trust = PemMaterial.trust(snapshot, caFile);
            NodeIdentity identity = PemMaterial.identity(snapshot, certFile, keyFile);
            try {
                PeerCheck.check(identity.chain(), trust, PeerCheck.Role.SERVER, List.of(nodeName), clock.instant(),
                        "certificate in " + certFile + " (tandem.tls.cert-file)");
            } catch (PeerRefusedException e) {
                throw new IOException(e.getMessage() + "; this node is " + nodeName + " (tandem.node-name)", e);
            }
            loaded = snapshot;
            return new LinkMaterial(generation, identity, trust);
        }
    }
}
