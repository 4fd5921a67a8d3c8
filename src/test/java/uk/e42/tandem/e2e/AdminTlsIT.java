package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import uk.e42.tandem.admin.v1.AdminGrpc;
import uk.e42.tandem.admin.v1.GetNodeRequest;
import uk.e42.tandem.admin.v1.NodeInfo;
import uk.e42.tandem.tunnel.AdminCertificate;
import uk.e42.tandem.tunnel.StaticKey;

/**
 * Issue 7: an admin API configured beyond localhost requires TLS client certificates of the
 * cluster's CA. The daemon listens on a real non-loopback address of this machine (a veth end);
 * each kind of client a stranger could bring is refused, and the ones an admin uses work: the CLI
 * with the node's key, and grpcurl's way (-cacert -cert -key -servername) with `tandem admin-cert`'s
 * files, which also serve the CLI on a host without the key (tandem.tls.mode=pem).
 */
@E2e(root = true, netns = true, tools = {"ip"})
class AdminTlsIT {
    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void beyondLocalhostOnlyClientsOfTheClusterKeyGetIn() throws Exception {
        try (NetnsHosts hosts = new NetnsHosts()) {
            String host = hosts.machineAddress(hosts.host("far"));
            TandemNode node = cluster.node("rosaria");
            Path key = node.dir().resolve("static.key");
            node.cli("genkey", "secret", key.toString()).orFail();
            String address = host + ":" + node.adminPort();
            node.env("TANDEM_TLS_KEY_FILE", key.toString()).env("TANDEM_ADMIN_ADDRESS", address).start()
                    .awaitLive(Duration.ofSeconds(60));
            assertTrue(node.logText().contains("admin API on " + address + ": TLS 1.3, clients need a certificate"),
                    node.logText());

            Tools.Result status = node.cli("status").orFail();
            assertTrue(status.stderr().contains("# rosaria: "), "the CLI with the node's key gets in:\n" + status);

            assertRefused(plaintext(host, node.adminPort()));
            Path files = Files.createDirectories(cluster.root().resolve("admin-files"));
            node.cli("admin-cert", files.toString()).orFail();
            assertRefused(tls(host, node.adminPort(), GrpcSslContexts.forClient()
                    .trustManager(files.resolve("ca.crt").toFile()).build()));

            // a client that trusts the daemon but shows a certificate of another cluster's key
            StaticKey otherKey = StaticKey.generate(new SecureRandom());
            Path mallory = Files.createDirectories(cluster.root().resolve("mallory"));
            AdminCertificate.write(otherKey, "mallory", Duration.ofDays(1), mallory);
            assertRefused(tls(host, node.adminPort(), GrpcSslContexts.forClient()
                    .trustManager(files.resolve("ca.crt").toFile())
                    .keyManager(mallory.resolve("admin.crt").toFile(), mallory.resolve("admin.key").toFile()).build()));
            node.awaitLog("admin API of rosaria: refused a client");
            assertTrue(node.logText().contains("peer certificate not issued by this cluster's key"), node.logText());

            // grpcurl -cacert ca.crt -cert admin.crt -key admin.key -servername rosaria HOST:PORT ...
            NodeInfo info = call(tls(host, node.adminPort(), GrpcSslContexts.forClient()
                    .trustManager(files.resolve("ca.crt").toFile())
                    .keyManager(files.resolve("admin.crt").toFile(), files.resolve("admin.key").toFile()).build()));
            assertEquals("rosaria", info.getNodeName());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    files.resolve("admin.key"))));

            // a CLI on an admin's host, without the key: the PEM files
            Path otherKeyFile = cluster.root().resolve("other.key");
            otherKey.writeNew(otherKeyFile);
            node.env("TANDEM_TLS_KEY_FILE", otherKeyFile.toString());
            Tools.Result wrongKey = node.cli("status");
            assertNotEquals(0, wrongKey.exitCode(), wrongKey.toString());
            assertTrue(wrongKey.stderr().contains("TLS with the admin API at " + address + " failed"),
                    wrongKey.toString());
            node.env("TANDEM_TLS_MODE", "pem").env("TANDEM_TLS_CA_FILE", files.resolve("ca.crt").toString())
                    .env("TANDEM_TLS_CERT_FILE", files.resolve("admin.crt").toString())
                    .env("TANDEM_TLS_PRIVATE_KEY_FILE", files.resolve("admin.key").toString());
            assertTrue(node.cli("status").orFail().stderr().contains("# rosaria: "));
        }
    }

    @Test
    void aPlaintextNodeRefusesToStartWithItsAdminApiBeyondLocalhost() throws Exception {
        try (NetnsHosts hosts = new NetnsHosts()) {
            String host = hosts.machineAddress(hosts.host("far"));
            TandemNode node = cluster.node("paimon").env("TANDEM_TLS_MODE", "plaintext")
                    .env("TANDEM_ADMIN_ADDRESS", host + ":" + TandemNode.freePort()).start();
            node.awaitLog("is not a loopback address, so the admin API requires client certificates, but"
                    + " tandem.tls.mode=plaintext has no CA to check them with");
        }
    }

    private static ManagedChannel plaintext(String host, int port) {
        return Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create()).build();
    }

    /** As grpcurl -servername: the daemon's certificate names the node, not the address. */
    private static ManagedChannel tls(String host, int port, SslContext context) {
        return NettyChannelBuilder.forAddress(host, port).sslContext(context).overrideAuthority("rosaria").build();
    }

    private static NodeInfo call(ManagedChannel channel) throws InterruptedException {
        try {
            return AdminGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .getNode(GetNodeRequest.getDefaultInstance());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void assertRefused(ManagedChannel channel) {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> call(channel));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
    }
}
