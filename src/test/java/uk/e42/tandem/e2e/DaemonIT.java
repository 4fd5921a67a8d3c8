package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import grpc.reflection.v1alpha.ServerReflectionGrpc;
import grpc.reflection.v1alpha.Reflection.ServerReflectionRequest;
import grpc.reflection.v1alpha.Reflection.ServerReflectionResponse;
import grpc.reflection.v1alpha.Reflection.ServiceResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.RandomAccessFile;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The packaged application as operators run it: the launcher, the daemon, the CLI against it. */
class DaemonIT {

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void twoDaemonsOnOneMachineEachAnswerTheirOwnCli() {
        List<TandemNode> nodes = cluster.startLocal(2);
        for (TandemNode node : nodes) {
            Tools.Result status = node.cli("status").orFail();
            assertTrue(status.stderr().contains("# " + node.name() + ": " + node.dir().resolve("drbd.conf")
                    + " does not exist yet"), status.stderr());
            assertTrue(node.logText().contains("Started gRPC server on 127.0.0.1:" + node.adminPort()),
                    "admin API on tandem.admin.address");
        }
    }

    @Test
    void reflectionListsTheAdminServiceAsGrpcurlListDoes() throws Exception {
        TandemNode node = cluster.startLocal(1).get(0);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", node.adminPort(),
                InsecureChannelCredentials.create()).build();
        try {
            CompletableFuture<List<String>> services = new CompletableFuture<>();
            StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                    .serverReflectionInfo(new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse response) {
                            services.complete(response.getListServicesResponse().getServiceList().stream()
                                    .map(ServiceResponse::getName).sorted().toList());
                        }

                        @Override
                        public void onError(Throwable t) {
                            services.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            List<String> listed = services.get(20, TimeUnit.SECONDS);
            requests.onCompleted();
            assertTrue(listed.contains("tandem.admin.v1.Admin"), listed.toString());
            assertTrue(listed.contains("grpc.health.v1.Health"), listed.toString());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void cliWithoutDaemonSaysWhereItLookedAndExits20() {
        TandemNode node = cluster.node("lonely");
        Tools.Result status = node.cli("status");
        assertEquals(20, status.exitCode(), status.stderr());
        assertTrue(status.stderr().contains("no daemon answers at 127.0.0.1:" + node.adminPort()), status.stderr());
    }

    @Test
    void helpListsEveryDrbdadmVerb() {
        Tools.Result help = cluster.node("help").cli("--help").orFail();
        for (String verb : List.of("create-md", "up", "down", "attach", "detach", "connect", "disconnect", "primary",
                "secondary", "status", "events2", "dump", "dump-md", "new-current-uuid", "invalidate",
                "invalidate-remote", "verify", "pause-sync", "resume-sync", "outdate", "adjust", "resize", "daemon",
                "genkey")) {
            assertTrue(help.stdout().lines().anyMatch(l -> l.strip().startsWith(verb + " ")), verb + " in\n"
                    + help.stdout());
        }
    }

    @Test
    void killNineTakesOneNodeDownAndLeavesTheOtherServing() {
        List<TandemNode> nodes = cluster.startLocal(2);
        nodes.get(0).kill9();
        assertFalse(nodes.get(0).isRunning());
        assertTrue(nodes.get(1).health("live").contains("UP"));
        nodes.get(0).start().awaitLive(Duration.ofSeconds(60));
    }

    @Test
    void theDaemonsHeapCapRefusesAVolumeThatWouldNotFitAndSaysHowToRaiseIt() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        // 2 TiB, sparse: 64 MiB of bitmap when wholly out of sync, beyond what the launcher's -Xmx128m keeps.
        try (var file = new RandomAccessFile(LoopbackPair.disk(rosaria).toFile(), "rw")) {
            file.setLength(2L << 40);
        }
        rosaria.cli("create-md", "--force", "replicated0").orFail();
        rosaria.start().awaitLive(Duration.ofSeconds(60));
        Tools.Result up = rosaria.cli("up", "replicated0");
        assertNotEquals(0, up.exitCode());
        assertTrue(up.stderr().contains("cannot attach " + LoopbackPair.disk(rosaria) + ": this 2097152 MiB volume "
                + "needs up to 68 MiB of heap (64 MiB of bitmap, 32 MiB per TiB, and 4 MiB of resync data for "
                + "max-buffers 2048)") && up.stderr().contains("the daemon's heap is 128 MiB with 96 MiB kept for the "
                        + "rest; start the daemon with a larger heap, e.g. TANDEM_JAVA_OPTS=-Xmx192m"), up.stderr());
        assertTrue(rosaria.cli("status", "replicated0").stdout().contains("disk:Diskless"), "nothing attached");

        rosaria.stop();
        rosaria.env("TANDEM_JAVA_OPTS", "-Xmx192m").start().awaitLive(Duration.ofSeconds(60));
        rosaria.cli("up", "replicated0").orFail();
        LoopbackPair.awaitStatus(rosaria, s -> s.contains("disk:Inconsistent"));

        // DRBD's largest max-buffers: 256 MiB of resync data may be in flight to this node.
        pair.editConfig("protocol C;", "protocol C; max-buffers 131072;");
        Tools.Result adjust = rosaria.cli("adjust", "replicated0");
        assertNotEquals(0, adjust.exitCode());
        assertTrue(adjust.stderr().contains("cannot adjust: this 2097152 MiB volume needs up to 320 MiB of heap")
                && adjust.stderr().contains("TANDEM_JAVA_OPTS=-Xmx448m, or lower max-buffers"), adjust.stderr());
    }
}
