package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Write;

/**
 * A stream end whose gRPC call the peer cancelled between gRPC's "ready" and the packet's hand-over: gRPC's
 * onNext throws there (server side: "call already cancelled"). The link must end at once, reported by the end
 * itself (gRPC's own report of the cancel may come only after this end closed, and is then dropped), and the
 * sender must not see gRPC's exception. Before, the end dropped what waited and reported nothing: the
 * connection stayed up until the ping timeout.
 */
class GrpcStreamEndTest {
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    /**
     * gRPC's server side of a call, at the moment the peer's cancel raced our send: it said ready, and onNext
     * throws as grpc-stub's ServerCallStreamObserverImpl does once the call is cancelled. What a live call
     * takes is kept in {@link #sent}.
     */
    private static final class ServerCall<T extends Message> extends ServerCallStreamObserver<T> {
        final boolean cancelled;
        final List<T> sent = new CopyOnWriteArrayList<>();

        ServerCall(boolean cancelled) {
            this.cancelled = cancelled;
        }

        @Override
        public void onNext(T value) {
            if (cancelled) {
                throw Status.CANCELLED.withDescription("call already cancelled").asRuntimeException();
            }
            sent.add(value);
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
        }

        @Override
        public void setOnReadyThreshold(int numBytes) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void disableAutoRequest() {
        }

        @Override
        public void request(int count) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }
    }

    private record Closed(ConnState state, String reason) {
    }

    @Test
    void aSendIntoACancelledCallEndsTheLinkAtOnceAndTheSenderIsOnlyToldItsPacketWasDropped() throws Exception {
        GrpcStreamEnd<DataPacket> data = new GrpcStreamEnd<>("data", "paimon", false, executor, 8 << 20);
        data.attach(new ServerCall<>(true), GrpcPeerServer.DATA_INBOUND_WINDOW);
        GrpcStreamEnd<ControlPacket> control = new GrpcStreamEnd<>("control", "paimon", false, executor,
                GrpcPeerServer.CONTROL_WINDOW_BYTES);
        control.attach(new ServerCall<>(false), GrpcPeerServer.CONTROL_INBOUND_WINDOW);
        GrpcPeerLink link = new GrpcPeerLink("paimon (test)", data, control, () -> new byte[0], () -> {
        });
        CompletableFuture<Closed> closed = new CompletableFuture<>();
        executor.submit(() -> link.start(new PeerLinkListener() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                buffer.release();
            }

            @Override
            public void onControl(ControlPacket packet) {
            }

            @Override
            public void onClosed(ConnState state, String reason) {
                closed.complete(new Closed(state, reason));
            }
        })).get(5, TimeUnit.SECONDS);

        CompletableFuture<Boolean> serialized = new CompletableFuture<>();
        DataPacket write = DataPacket.newBuilder().setWrite(Write.newBuilder().setSector(8).setBlockId(1).setSeq(1)
                .setData(ByteString.copyFrom(new byte[4096]))).build();
        // From a writer's thread, as replicated writes leave: gRPC's exception must not reach it.
        assertTrue(link.sendData(write, serialized::complete), "the packet was taken");

        assertEquals(false, serialized.get(5, TimeUnit.SECONDS), "the sender hears that its packet was dropped");
        // Well within any ping timeout: the end reported the broken link itself.
        Closed end = closed.get(5, TimeUnit.SECONDS);
        assertEquals(ConnState.CONN_NETWORK_FAILURE, end.state());
        assertTrue(end.reason().contains("data stream to paimon failed") && end.reason().contains("call already cancelled"),
                end.reason());
    }
}
