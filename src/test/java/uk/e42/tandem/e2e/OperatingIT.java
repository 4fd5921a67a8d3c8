package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.ByteString;
import grpc.reflection.v1alpha.Reflection.ServerReflectionRequest;
import grpc.reflection.v1alpha.Reflection.ServerReflectionResponse;
import grpc.reflection.v1alpha.ServerReflectionGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What an operator meets on one real daemon: drbdadm's refusals and exit codes, status --json, grpcurl describe. */
@E2e(tools = {"qemu-io"})
class OperatingIT {

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    TandemNode solo() throws Exception {
        TandemNode node = cluster.node("solo");
        Path root = cluster.root();
        Path key = root.resolve("static.key");
        Path disk = node.dir().resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(16L << 20);
        }
        Files.writeString(root.resolve("drbd.conf"), """
                resource r0 {
                    device /dev/drbd0;
                    meta-disk internal;
                    on solo    { disk %s; address 127.0.0.1:%d; }
                    on faraway { disk /dev/sdb1; address 127.0.0.1:%d; }
                }
                """.formatted(disk, TandemNode.freePort(), TandemNode.freePort()));
        node.env("TANDEM_CONFIG", root.resolve("drbd.conf").toString()).env("TANDEM_TLS_KEY_FILE", key.toString());
        node.cli("genkey", "secret", key.toString()).orFail();
        node.cli("create-md", "--force", "r0").orFail();
        node.start().awaitLive(Duration.ofSeconds(60));
        return node;
    }

    @Test
    void refusalsSpeakDrbdadmsWordsAndExitCodes() throws Exception {
        TandemNode node = solo();
        Tools.Result unknown = node.cli("up", "x");
        assertEquals(10, unknown.exitCode(), unknown.stderr());
        assertEquals("'x' not defined in your config (for this host 'solo').", unknown.stderr().strip());

        node.cli("up", "r0").orFail();
        Tools.Result primary = node.cli("primary", "r0");
        assertEquals(11, primary.exitCode(), primary.stderr());
        assertTrue(primary.stderr().contains("State change failed: (-2) Need access to UpToDate data"),
                primary.stderr());

        node.cli("primary", "--force", "r0").orFail();
        Process client = new ProcessBuilder("qemu-io", "-f", "raw", "nbd://127.0.0.1:" + node.nbdPort() + "/r0")
                .redirectErrorStream(true).start();
        try {
            client.getOutputStream().write("read 0 4096\n".getBytes(StandardCharsets.UTF_8));
            client.getOutputStream().flush();
            BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.UTF_8));
            List<String> seen = new ArrayList<>();
            for (String line = out.readLine(); line != null && !line.contains("read 4096/4096 bytes");
                    line = out.readLine()) {
                seen.add(line);
            }
            assertTrue(client.isAlive(), "qemu-io holds the export open: " + seen);
            Tools.Result secondary = node.cli("secondary", "r0");
            assertEquals(11, secondary.exitCode(), secondary.stderr());
            assertTrue(secondary.stderr().contains("State change failed: (-12) Device is held open by someone"),
                    secondary.stderr());
        } finally {
            client.getOutputStream().close();
            client.waitFor(20, TimeUnit.SECONDS);
            client.destroy();
        }

        JsonNode json = new ObjectMapper().readTree(node.cli("status", "--json", "r0").orFail().stdout());
        assertEquals(1, json.size());
        assertEquals("r0", json.get(0).get("name").asText());
        assertEquals("Primary", json.get(0).get("role").asText());
        assertEquals("UpToDate", json.get(0).get("volumes").get(0).get("disk").asText());
        assertEquals("Connecting", json.get(0).get("peers").get(0).get("connection").asText());
        assertTrue(node.http("/proc/drbd").contains(" 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown"),
                node.http("/proc/drbd"));
    }

    @Test
    void reflectionDescribesTheAdminServiceAsGrpcurlDescribeDoes() throws Exception {
        TandemNode node = cluster.startLocal(1).get(0);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", node.adminPort(),
                InsecureChannelCredentials.create()).build();
        try {
            ServerReflectionResponse listed = reflect(channel, ServerReflectionRequest.newBuilder()
                    .setListServices("").build());
            assertTrue(listed.getListServicesResponse().getServiceList().stream()
                    .anyMatch(s -> s.getName().equals("tandem.admin.v1.Admin")), listed.toString());
            ServerReflectionResponse described = reflect(channel, ServerReflectionRequest.newBuilder()
                    .setFileContainingSymbol("tandem.admin.v1.Admin").build());
            FileDescriptorProto file = null;
            for (ByteString bytes : described.getFileDescriptorResponse().getFileDescriptorProtoList()) {
                FileDescriptorProto candidate = FileDescriptorProto.parseFrom(bytes);
                if (candidate.getPackage().equals("tandem.admin.v1")) {
                    file = candidate;
                }
            }
            assertTrue(file != null, described.toString());
            List<String> methods = file.getService(0).getMethodList().stream().map(m -> m.getName() + "("
                    + m.getInputType() + ") returns " + (m.getServerStreaming() ? "stream " : "") + m.getOutputType())
                    .toList();
            assertTrue(methods.contains("Primary(.tandem.admin.v1.PrimaryRequest) returns .tandem.admin.v1.VerbReply"),
                    methods.toString());
            assertTrue(methods.contains(
                    "Events2(.tandem.admin.v1.Events2Request) returns stream .tandem.admin.v1.Event2Line"),
                    methods.toString());
            assertTrue(file.getMessageTypeList().stream().anyMatch(m -> m.getName().equals("ResourceStatus")));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static ServerReflectionResponse reflect(ManagedChannel channel, ServerReflectionRequest request)
            throws Exception {
        CompletableFuture<ServerReflectionResponse> reply = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        reply.complete(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        reply.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(request);
        ServerReflectionResponse response = reply.get(20, TimeUnit.SECONDS);
        requests.onCompleted();
        return response;
    }
}
