package uk.e42.tandem.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Real TLS 1.3 connections between nodes on loopback, over gRPC as the peer link will run. */
class LinkSecurityTest {
    private static final Logger LOG = Logger.getLogger(LinkSecurityTest.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final StaticKey CLUSTER_KEY = StaticKey.generate(RANDOM);

    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
    }

    private <T extends AutoCloseable> T opened(T closeable) {
        open.add(closeable);
        return closeable;
    }

    private LinkSecurity node(StaticKey key, String name, Clock clock) {
        return opened(LinkSecurity.staticKey(key, name, clock));
    }

    private LinkSecurity node(String name) {
        return node(CLUSTER_KEY, name, Clock.systemUTC());
    }

    private EchoLink server(LinkSecurity security, String... peers) throws Exception {
        return opened(new EchoLink(security.peerServerContext(List.of(peers)).orElseThrow()));
    }

    private ManagedChannel channel(EchoLink server, SslContext context, String peer) {
        ManagedChannel channel = server.channel(context, peer);
        open.add(() -> EchoLink.close(channel));
        return channel;
    }

    /** The call fails with a gRPC error whose causes mention {@code reason} (empty: any failure). */
    private static void assertRefused(Executable call, String reason) {
        StatusRuntimeException failure = assertThrows(StatusRuntimeException.class, call);
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertTrue(trace.toString().contains(reason), "expected '" + reason + "' in\n" + trace);
    }

    private static void assertOneReason(List<PeerRefusal> refusals, String start) {
        assertEquals(1, refusals.size(), "refusals: " + refusals);
        assertTrue(refusals.get(0).reason().startsWith(start), refusals.get(0).reason());
    }

    private static List<String> reasons(List<PeerRefusal> refusals) {
        return refusals.stream().map(PeerRefusal::reason).toList();
    }

    @Test
    void twoNodesFromTheSameKeyTalkTls13AndSeeTheSameChannelBinding() throws Exception {
        LinkSecurity rosaria = node("rosaria");
        LinkSecurity paimon = node("paimon");
        EchoLink server = server(paimon, "rosaria");
        ManagedChannel channel = channel(server, rosaria.peerClientContext("paimon").orElseThrow(), "paimon");

        byte[] message = new byte[64 << 10];
        RANDOM.nextBytes(message);
        EchoLink.Reply reply = EchoLink.call(channel, message);

        assertArrayEquals(message, reply.body());
        SSLSession client = reply.session();
        SSLSession serverSide = server.serverSession.get(10, TimeUnit.SECONDS);
        LOG.infof("rosaria -> paimon negotiated %s", LinkSecurity.describe(client));
        assertEquals("TLSv1.3", client.getProtocol());
        assertTrue(client.getCipherSuite().startsWith("TLS_"), client.getCipherSuite());
        assertEquals("paimon", rosaria.verifyPeer(client, false, List.of("paimon")));
        assertEquals("rosaria", paimon.verifyPeer(serverSide, true, List.of("rosaria")));

        List<String> both = ChannelBinding.supportedTypes();
        ChannelBinding atClient = ChannelBinding.of(client, false, both);
        ChannelBinding atServer = ChannelBinding.of(serverSide, true, both);
        assertEquals(atServer, atClient);
        assertEquals(ChannelBinding.tlsExporter(client).isPresent() ? ChannelBinding.TLS_EXPORTER
                : ChannelBinding.TLS_SERVER_END_POINT, atClient.type());
        assertEquals(ChannelBinding.tlsServerEndPoint(serverSide, true), ChannelBinding.tlsServerEndPoint(client, false));
        assertEquals(ChannelBinding.TLS_SERVER_END_POINT,
                ChannelBinding.of(client, false, List.of(ChannelBinding.TLS_SERVER_END_POINT)).type(),
                "a peer without the exporter gets the binding it can compute");
    }

    @Test
    void theExporterBindingDiffersBetweenTwoSessionsOfTheSamePair() throws Exception {
        LinkSecurity rosaria = node("rosaria");
        EchoLink server = server(node("paimon"), "rosaria");
        SslContext context = rosaria.peerClientContext("paimon").orElseThrow();
        SSLSession first = EchoLink.call(channel(server, context, "paimon"), new byte[1]).session();
        SSLSession second = EchoLink.call(channel(server, context, "paimon"), new byte[1]).session();

        // on a JDK before 25, or over BoringSSL, there is no exporter: then only the server-end-point binding exists
        ChannelBinding.tlsExporter(first).ifPresent(binding ->
                assertNotEquals(ChannelBinding.tlsExporter(second).orElseThrow(), binding));
        assertEquals(Runtime.version().feature() >= 25 && LinkSecurity.peerProvider() == SslProvider.JDK,
                ChannelBinding.tlsExporter(first).isPresent());
    }

    @Test
    void aServerWithAnotherKeyIsRefusedByTheClientWithTheReason() throws Exception {
        LinkSecurity rosaria = node("rosaria");
        List<PeerRefusal> refused = new CopyOnWriteArrayList<>();
        rosaria.addRefusalListener(refused::add);
        EchoLink stranger = server(node(StaticKey.generate(RANDOM), "paimon", Clock.systemUTC()), "rosaria");
        ManagedChannel channel = channel(stranger, rosaria.peerClientContext("paimon").orElseThrow(), "paimon");

        assertRefused(() -> EchoLink.call(channel, new byte[1]), "peer certificate not issued by this cluster's key");
        assertOneReason(refused, "peer certificate not issued by this cluster's key");
        assertEquals(PeerCheck.Role.SERVER, refused.get(0).peerRole());
        assertEquals(0, stranger.calls.get());
    }

    @Test
    void aClientWithAnotherKeyIsRefusedByTheServerWithTheReason() throws Exception {
        LinkSecurity paimon = node("paimon");
        List<PeerRefusal> refused = new CopyOnWriteArrayList<>();
        paimon.addRefusalListener(refused::add);
        EchoLink server = server(paimon, "rosaria");
        // an intruder with a certificate from another key, willing to talk to any server
        NodeIdentity intruder = ClusterCa.derive(StaticKey.generate(RANDOM), RANDOM).issue("rosaria",
                Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
        SslContext trustsAnything = GrpcSslContexts.configure(SslContextBuilder.forClient()
                        .keyManager(intruder.privateKey(), intruder.chain()), SslProvider.JDK)
                .protocols("TLSv1.3").trustManager(InsecureTrustManagerFactory.INSTANCE).build();

        assertRefused(() -> EchoLink.call(channel(server, trustsAnything, "paimon"), new byte[1]), "");
        assertOneReason(refused, "peer certificate not issued by this cluster's key");
        assertEquals(PeerCheck.Role.CLIENT, refused.get(0).peerRole());
        assertEquals(0, server.calls.get());
    }

    @Test
    void aServerWithTheRightKeyButAnotherNodeNameIsRefused() throws Exception {
        LinkSecurity rosaria = node("rosaria");
        List<PeerRefusal> refused = new CopyOnWriteArrayList<>();
        rosaria.addRefusalListener(refused::add);
        EchoLink mallory = server(node("mallory"), "rosaria");

        assertRefused(() -> EchoLink.call(channel(mallory, rosaria.peerClientContext("paimon").orElseThrow(),
                "paimon"), new byte[1]), "peer certificate is for node mallory, expected paimon");
        assertEquals(List.of("peer certificate is for node mallory, expected paimon"), reasons(refused));
    }

    @Test
    void aClientWithTheRightKeyButAnotherNodeNameIsRefused() throws Exception {
        LinkSecurity paimon = node("paimon");
        List<PeerRefusal> refused = new CopyOnWriteArrayList<>();
        paimon.addRefusalListener(refused::add);
        EchoLink server = server(paimon, "rosaria");
        SslContext mallory = node("mallory").peerClientContext("paimon").orElseThrow();

        assertRefused(() -> EchoLink.call(channel(server, mallory, "paimon"), new byte[1]), "");
        assertEquals(List.of("peer certificate is for node mallory, expected rosaria"), reasons(refused));
        assertEquals(0, server.calls.get());
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        LinkSecurity rosaria = node("rosaria");
        List<PeerRefusal> refused = new CopyOnWriteArrayList<>();
        rosaria.addRefusalListener(refused::add);
        // paimon's certificate was issued two days ago and has since run out
        Clock twoDaysAgo = Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC);
        EchoLink stale = server(node(CLUSTER_KEY, "paimon", twoDaysAgo), "rosaria");

        assertRefused(() -> EchoLink.call(channel(stale, rosaria.peerClientContext("paimon").orElseThrow(),
                "paimon"), new byte[1]), "peer certificate for node paimon expired at");
        assertOneReason(refused, "peer certificate for node paimon expired at");
    }

    @Test
    void aPlaintextClientIsRefusedByATlsServer() throws Exception {
        EchoLink server = server(node("paimon"), "rosaria");

        assertRefused(() -> EchoLink.call(channel(server, null, "paimon"), new byte[1]), "");
        assertEquals(0, server.calls.get());
    }

    @Test
    void plaintextModeHandsOutNoTlsAndSaysSo() throws Exception {
        LinkSecurity plain = opened(LinkSecurity.plaintext("rosaria"));

        assertFalse(plain.encrypted());
        assertEquals(TlsMode.PLAINTEXT, plain.mode());
        assertTrue(plain.peerServerContext(List.of("paimon")).isEmpty());
        assertTrue(plain.peerClientContext("paimon").isEmpty());
        assertTrue(plain.adminServerContext().isEmpty());
        // and two plaintext nodes do talk
        EchoLink server = opened(new EchoLink(null));
        assertArrayEquals(new byte[] {42}, EchoLink.call(channel(server, null, "paimon"), new byte[] {42}).body());
    }

    @Test
    void theAdminApiAcceptsAnyNodeOfTheClusterAndNoStranger(@TempDir Path dir) throws Exception {
        LinkSecurity daemon = node("paimon");
        EchoLink admin = opened(new EchoLink(daemon.adminServerContext().orElseThrow()));
        SslContext cli = LinkSecurity.adminClientContext(keyFile(dir.resolve("cluster.key"), CLUSTER_KEY),
                "operator-laptop");
        SslContext strangerCli = LinkSecurity.adminClientContext(keyFile(dir.resolve("other.key"),
                StaticKey.generate(RANDOM)), "paimon");

        assertArrayEquals(new byte[] {7}, EchoLink.call(channel(admin, cli, "paimon"), new byte[] {7}).body());
        assertRefused(() -> EchoLink.call(channel(admin, strangerCli, "paimon"), new byte[1]),
                "peer certificate not issued by this cluster's key");
        assertFalse(LinkSecurity.adminNeedsTls("127.0.0.1"));
        assertFalse(LinkSecurity.adminNeedsTls("::1"));
        assertTrue(LinkSecurity.adminNeedsTls("192.0.2.10"));
        assertTrue(LinkSecurity.adminNeedsTls("0.0.0.0"));
    }

    private static TlsSettings keyFile(Path file, StaticKey key) throws IOException {
        key.writeNew(file);
        return new TlsSettings(TlsMode.STATIC_KEY, file, Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Test
    void aRenewedCertificateIsUsedByContextsHandedOutEarlier() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        LinkSecurity paimon = node(CLUSTER_KEY, "paimon", clock);
        Instant firstExpiry = paimon.identity().orElseThrow().certificate().getNotAfter().toInstant();
        EchoLink server = server(paimon, "rosaria");

        clock.advance(LinkSecurity.NODE_CERTIFICATE_VALIDITY.dividedBy(2).plusMinutes(1));
        paimon.refresh();
        LinkSecurity rosaria = node(CLUSTER_KEY, "rosaria", clock);
        SSLSession session = EchoLink.call(channel(server, rosaria.peerClientContext("paimon").orElseThrow(),
                "paimon"), new byte[1]).session();

        Instant presented = ((X509Certificate) session.getPeerCertificates()[0]).getNotAfter()
                .toInstant();
        assertTrue(presented.isAfter(firstExpiry), presented + " should be after " + firstExpiry);
    }

    @Test
    void theKeyAndTrustManagersServeAPlainJdkTlsStackToo() throws Exception {
        // what a Vert.x server gets through KeyCertOptions.wrap / TrustOptions.wrap
        LinkSecurity paimon = node("paimon");
        LinkSecurity rosaria = node("rosaria");
        SSLContext serverTls = SSLContext.getInstance("TLSv1.3");
        serverTls.init(new KeyManager[] {paimon.keyManager().orElseThrow()},
                new TrustManager[] {paimon.trustManager(List.of()).orElseThrow()}, RANDOM);
        SSLContext clientTls = SSLContext.getInstance("TLSv1.3");
        clientTls.init(new KeyManager[] {rosaria.keyManager().orElseThrow()},
                new TrustManager[] {rosaria.trustManager(List.of("paimon")).orElseThrow()}, RANDOM);

        try (SSLServerSocket listener = (SSLServerSocket) serverTls.getServerSocketFactory().createServerSocket(0, 1,
                InetAddress.getLoopbackAddress()); ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            listener.setNeedClientAuth(true);
            Future<String> served = threads.submit(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    int value = socket.getInputStream().read();
                    socket.getOutputStream().write(value + 1);
                    return paimon.verifyPeer(socket.getSession(), true, List.of("rosaria"));
                }
            });
            try (SSLSocket socket = (SSLSocket) clientTls.getSocketFactory().createSocket(
                    InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                socket.getOutputStream().write(41);
                assertEquals(42, socket.getInputStream().read());
                assertEquals("TLSv1.3", socket.getSession().getProtocol());
            }
            assertEquals("rosaria", served.get(10, TimeUnit.SECONDS));
        }
    }
}
