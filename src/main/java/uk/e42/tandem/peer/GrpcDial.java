package uk.e42.tandem.peer;

import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import uk.e42.tandem.node.HostPort;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Hello;

/**
 * One attempt to connect to the peer: two channels (two TCP connections, as DRBD's data and meta
 * sockets), one stream each, a Hello on both; done when the peer's Hello came back on both within
 * connect-int. Runs on the resource's executor; reports exactly once, unless cancelled.
 */
final class GrpcDial {

    private final HostPort target;
    private final Hello hello;
    private final LinkSecurity security;
    private final ScheduledExecutorService executor;
    private final NetOptions net;
    private final Consumer<GrpcPeerLink> established;
    private final BiConsumer<ConnState, String> failed;
    /** Built once per dial for both channels: each build loads the key and certificates anew. */
    private final Optional<SslContext> tls;
    private final ManagedChannel dataChannel;
    private final ManagedChannel controlChannel;
    /** The data call, whose attributes hold the TLS session once the stream is up. */
    private ClientCall<?, ?> dataCall;
    private GrpcStreamEnd<DataPacket> data;
    private GrpcStreamEnd<ControlPacket> control;
    private ScheduledFuture<?> deadline;
    private boolean dataAnswered;
    private boolean controlAnswered;
    private boolean done;

    GrpcDial(HostPort target, Hello hello, LinkSecurity security, ScheduledExecutorService executor, NetOptions net,
            Consumer<GrpcPeerLink> established, BiConsumer<ConnState, String> failed) {
        this.target = target;
        this.hello = hello;
        this.security = security;
        this.executor = executor;
        this.net = net;
        this.established = established;
        this.failed = failed;
        this.tls = security.clientContext();
        this.dataChannel = channel();
        this.controlChannel = channel();
    }

    private ManagedChannel channel() {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(target.host(), target.port())
                .directExecutor()
                .disableRetry()
                .flowControlWindow(GrpcPeerServer.FLOW_CONTROL_WINDOW)
                .maxInboundMessageSize(GrpcPeerServer.MAX_PACKET_BYTES)
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        net.connectInt().toMillis()))
                .withOption(ChannelOption.TCP_NODELAY, true)
                .withOption(ChannelOption.ALLOCATOR, PeerBuffers.ALLOCATOR);
        if (net.sndbufSize() > 0) {
            builder.withOption(ChannelOption.SO_SNDBUF, (int) net.sndbufSize());
        }
        tls.ifPresentOrElse(builder::sslContext, builder::usePlaintext);
        return builder.build();
    }

    /** Call on the executor. */
    void start() {
        deadline = executor.schedule(() -> fail(ConnState.CONN_TIMEOUT,
                "no answer from " + target + " within connect-int (" + net.connectInt().toMillis() + " ms)"),
                net.connectInt().toNanos(), TimeUnit.NANOSECONDS);
        data = new GrpcStreamEnd<>("data", target.toString(), true, executor, net.dataWindowBytes());
        data.onBroken(this::fail);
        data.receiveWith((packet, buffer) -> {
            buffer.release();
            answered(packet.hasHello() ? packet.getHello() : null, PacketNames.of(packet), true);
        });
        ClientCall<DataPacket, Inbound<DataPacket>> call = dataChannel.newCall(PeerMethods.DATA_DIALED,
                CallOptions.DEFAULT.withOnReadyThreshold(data.onReadyThreshold()));
        dataCall = call;
        ClientCalls.asyncBidiStreamingCall(call, observer(data, GrpcPeerServer.DATA_INBOUND_WINDOW));
        control = new GrpcStreamEnd<>("control", target.toString(), true, executor,
                GrpcPeerServer.CONTROL_WINDOW_BYTES);
        control.onBroken(this::fail);
        control.receiveWith((packet, buffer) -> {
            buffer.release();
            answered(packet.hasHello() ? packet.getHello() : null, PacketNames.of(packet), false);
        });
        ClientCalls.asyncBidiStreamingCall(controlChannel.newCall(PeerMethods.CONTROL_DIALED,
                CallOptions.DEFAULT.withOnReadyThreshold(control.onReadyThreshold())),
                observer(control, GrpcPeerServer.CONTROL_INBOUND_WINDOW));
        data.send(DataPacket.newBuilder().setHello(hello).build());
        control.send(ControlPacket.newBuilder().setHello(hello).build());
    }

    /** Abandons the attempt without a report (a connection came the other way). */
    void cancel(String reason) {
        if (done) {
            return;
        }
        done = true;
        deadline.cancel(false);
        data.close(reason);
        control.close(reason);
        dataChannel.shutdownNow();
        controlChannel.shutdownNow();
    }

    private <T extends Message> ClientResponseObserver<T, Inbound<T>> observer(GrpcStreamEnd<T> end,
            int inboundWindow) {
        StreamObserver<Inbound<T>> inbound = end.inbound();
        return new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<T> requestStream) {
                end.attach(requestStream, inboundWindow);
            }

            @Override
            public void onNext(Inbound<T> value) {
                inbound.onNext(value);
            }

            @Override
            public void onError(Throwable t) {
                inbound.onError(t);
            }

            @Override
            public void onCompleted() {
                inbound.onCompleted();
            }
        };
    }

    private void answered(Hello reply, String packetName, boolean onData) {
        if (done) {
            return;
        }
        if (reply == null) {
            fail(ConnState.CONN_PROTOCOL_ERROR, "expected Hello packet from " + target + ", received: " + packetName);
            return;
        }
        if (reply.getSession() != hello.getSession() || !reply.getFromNode().equals(hello.getToNode())
                || !reply.getResource().equals(hello.getResource())) {
            fail(ConnState.CONN_PROTOCOL_ERROR, target + " answered as node '" + reply.getFromNode()
                    + "' for resource '" + reply.getResource() + "'; expected '" + hello.getToNode() + "' for '"
                    + hello.getResource() + "': check the address in drbd.conf");
            return;
        }
        if (onData) {
            dataAnswered = true;
            data.receiveWith(null);
        } else {
            controlAnswered = true;
            control.receiveWith(null);
        }
        if (dataAnswered && controlAnswered) {
            connected();
        }
    }

    private void connected() {
        SSLSession session = tls.isPresent()
                ? dataCall.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)
                : null;
        if (tls.isPresent()) {
            if (session == null) {
                fail(ConnState.CONN_PROTOCOL_ERROR, "no TLS session on the data stream to " + target);
                return;
            }
            try {
                security.checkPeer(session, hello.getToNode(), false);
            } catch (SSLPeerUnverifiedException e) {
                fail(ConnState.CONN_DISCONNECTING, "TLS peer check failed for " + hello.getToNode() + " at " + target
                        + ": " + e.getMessage());
                return;
            }
        }
        done = true;
        deadline.cancel(false);
        GrpcPeerLink link = new GrpcPeerLink(GrpcPeerLink.describe(hello.getToNode(), target.toString(), session),
                data, control, () -> session == null ? new byte[0] : security.channelBinding(session, false), this::release);
        established.accept(link);
    }

    /** Lets the half-closed calls finish, then cuts what a stalled peer keeps open. */
    private void release() {
        dataChannel.shutdown();
        controlChannel.shutdown();
        try {
            executor.schedule(() -> {
                dataChannel.shutdownNow();
                controlChannel.shutdownNow();
            }, net.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException resourceGone) {
            dataChannel.shutdownNow();
            controlChannel.shutdownNow();
        }
    }

    private void fail(ConnState state, String reason) {
        if (!done) {
            cancel(reason);
            failed.accept(state, reason);
        }
    }
}
