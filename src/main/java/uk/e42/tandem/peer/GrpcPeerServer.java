package uk.e42.tandem.peer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import org.jboss.logging.Logger;

import com.google.protobuf.Message;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import uk.e42.tandem.node.HostPort;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Hello;
import uk.e42.tandem.peer.v1.PeerGrpc;

/**
 * One resource's listener on its drbd.conf {@code address}: takes the dialer's Data and Control
 * streams, pairs them by the session in their Hello, and asks the {@link Acceptor} whether the
 * connection may stand. A stream whose partner does not arrive within connect-int is turned away.
 */
final class GrpcPeerServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GrpcPeerServer.class);

    /** Largest packet taken: a 1 MiB write (max_bio_size) and its header, with room to spare. */
    static final int MAX_PACKET_BYTES = 4 << 20;
    /**
     * Packets the peer may have in flight towards us per stream before we read on (DRBD's max-buffers bounds it).
     * A write or resync reply keeps its slot until its disk write is done, its bytes held in gRPC's buffers
     * until then: this bounds that memory too (32 writes of 1 MiB).
     */
    static final int DATA_INBOUND_WINDOW = 32;
    /**
     * HTTP/2 flow-control window per stream: grpc-netty's 1 MiB default lets one 1 MiB write in flight
     * per round trip, which capped replication and resync near 40 MB/s (bench/README.md).
     */
    static final int FLOW_CONTROL_WINDOW = 32 << 20;
    static final int CONTROL_INBOUND_WINDOW = 64;
    static final long CONTROL_WINDOW_BYTES = 256 << 10;

    private static final Context.Key<SSLSession> SSL_SESSION = Context.key("tandem-peer-ssl-session");
    private static final Context.Key<String> REMOTE = Context.key("tandem-peer-remote");

    /** Decides about connections; called on the executor. */
    interface Acceptor {

        /** Whether a stream with this Hello may wait for its partner: null, or why not. */
        String screen(Hello hello);

        /** Whether the now complete connection may stand: null, or why not (crossed connection, StandAlone). */
        String accept(Hello hello);

        /** Takes an accepted connection; the Hello replies are on their way. */
        void adopt(GrpcPeerLink link, Hello hello);
    }

    private final class Half {
        final Hello hello;
        GrpcStreamEnd<DataPacket> data;
        GrpcStreamEnd<ControlPacket> control;
        SSLSession dataSession;
        String remote;
        ScheduledFuture<?> expiry;

        Half(Hello hello) {
            this.hello = hello;
        }

        void refuse(String reason) {
            if (data != null) {
                data.refuse(reason);
            }
            if (control != null) {
                control.refuse(reason);
            }
        }
    }

    private final HostPort address;
    private final LinkSecurity security;
    private final ScheduledExecutorService executor;
    private final NetOptions net;
    private final Acceptor acceptor;
    private final Map<Long, Half> pending = new HashMap<>();
    private Server server;

    GrpcPeerServer(HostPort address, LinkSecurity security, ScheduledExecutorService executor, NetOptions net,
            Acceptor acceptor) {
        this.address = address;
        this.security = security;
        this.executor = executor;
        this.net = net;
        this.acceptor = acceptor;
    }

    /** @throws IOException naming the address when it cannot be bound */
    void start() throws IOException {
        NettyServerBuilder builder = NettyServerBuilder
                .forAddress(new InetSocketAddress(address.host(), address.port()))
                .directExecutor()
                .flowControlWindow(FLOW_CONTROL_WINDOW)
                .maxInboundMessageSize(MAX_PACKET_BYTES)
                .withChildOption(ChannelOption.ALLOCATOR, PeerBuffers.ALLOCATOR)
                .addService(ServerInterceptors.intercept(service(), new TransportInfo()));
        security.serverContext().ifPresent(builder::sslContext);
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new IOException("cannot listen on " + address + " (the address of this node in drbd.conf): "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    private ServerServiceDefinition service() {
        return ServerServiceDefinition.builder(PeerGrpc.SERVICE_NAME)
                .addMethod(PeerMethods.DATA_ACCEPTED, ServerCalls.asyncBidiStreamingCall(this::data))
                .addMethod(PeerMethods.CONTROL_ACCEPTED, ServerCalls.asyncBidiStreamingCall(this::control))
                .build();
    }

    private StreamObserver<Inbound<DataPacket>> data(StreamObserver<DataPacket> responseObserver) {
        return opened("data", responseObserver, net.dataWindowBytes(), DATA_INBOUND_WINDOW,
                packet -> packet.hasHello() ? packet.getHello() : null, PacketNames::of,
                (half, end, session, remote) -> {
                    if (half.data != null) {
                        return false;
                    }
                    half.data = end;
                    half.dataSession = session;
                    half.remote = remote;
                    return true;
                });
    }

    private StreamObserver<Inbound<ControlPacket>> control(StreamObserver<ControlPacket> responseObserver) {
        return opened("control", responseObserver, CONTROL_WINDOW_BYTES, CONTROL_INBOUND_WINDOW,
                packet -> packet.hasHello() ? packet.getHello() : null, PacketNames::of,
                (half, end, session, remote) -> {
                    if (half.control != null) {
                        return false;
                    }
                    half.control = end;
                    return true;
                });
    }

    /** A dialer's stream: its first packet must be the Hello that pairs it with its partner. */
    private <P extends Message> StreamObserver<Inbound<P>> opened(String stream, StreamObserver<P> responseObserver,
            long sendWindow, int inboundWindow, Function<P, Hello> helloOf, Function<P, String> nameOf, Claim<P> claim) {
        SSLSession session = SSL_SESSION.get();
        String remote = REMOTE.get();
        GrpcStreamEnd<P> end = new GrpcStreamEnd<>(stream, remote, false, executor, sendWindow);
        end.attach((ServerCallStreamObserver<P>) responseObserver, inboundWindow);
        end.receiveWith((packet, buffer) -> {
            end.receiveWith(null);
            Hello hello = helloOf.apply(packet);
            String name = nameOf.apply(packet);
            buffer.release();
            if (hello == null) {
                end.refuse("expected Hello packet, received: " + name);
                return;
            }
            arrived(hello, session, remote, half -> claim.claim(half, end, session, remote), end::refuse);
        });
        return end.inbound();
    }

    /** Puts a stream into its connection's half: false when that half has such a stream already. */
    private interface Claim<P extends Message> {
        boolean claim(Half half, GrpcStreamEnd<P> end, SSLSession session, String remote);
    }

    private interface Slot {
        boolean fill(Half half);
    }

    private interface Refusal {
        void refuse(String reason);
    }

    private void arrived(Hello hello, SSLSession session, String remote, Slot slot, Refusal refusal) {
        String screened = acceptor.screen(hello);
        if (screened == null && session != null) {
            try {
                security.checkPeer(session, hello.getFromNode(), true);
            } catch (SSLPeerUnverifiedException e) {
                screened = "TLS peer check failed for " + hello.getFromNode() + " at " + remote + ": " + e.getMessage();
            }
        }
        if (screened != null) {
            LOG.warnf("%s: refused a connection from %s: %s", hello.getResource(), remote, screened);
            refusal.refuse(screened);
            return;
        }
        Half half = pending.get(hello.getSession());
        if (half == null) {
            Half fresh = new Half(hello);
            fresh.expiry = executor.schedule(() -> expire(fresh), net.connectInt().toNanos(), TimeUnit.NANOSECONDS);
            pending.put(hello.getSession(), fresh);
            half = fresh;
        } else if (!half.hello.getFromNode().equals(hello.getFromNode())) {
            refusal.refuse("session " + Long.toHexString(hello.getSession()) + " belongs to another node");
            return;
        }
        if (!slot.fill(half)) {
            refusal.refuse("session " + Long.toHexString(hello.getSession()) + " has that stream already");
            return;
        }
        if (half.data != null && half.control != null) {
            paired(half);
        }
    }

    private void paired(Half half) {
        pending.remove(half.hello.getSession());
        half.expiry.cancel(false);
        String refused = acceptor.accept(half.hello);
        if (refused != null) {
            LOG.infof("%s: refused the connection from %s (%s): %s", half.hello.getResource(),
                    half.hello.getFromNode(), half.remote, refused);
            half.refuse(refused);
            return;
        }
        Hello reply = Hello.newBuilder(half.hello)
                .setFromNode(half.hello.getToNode())
                .setToNode(half.hello.getFromNode())
                .build();
        half.data.send(DataPacket.newBuilder().setHello(reply).build());
        half.control.send(ControlPacket.newBuilder().setHello(reply).build());
        SSLSession session = half.dataSession;
        GrpcPeerLink link = new GrpcPeerLink(GrpcPeerLink.describe(half.hello.getFromNode(), half.remote, session),
                half.data, half.control, () -> session == null ? new byte[0] : security.channelBinding(session, true), () -> {
                });
        acceptor.adopt(link, half.hello);
    }

    private void expire(Half half) {
        if (pending.remove(half.hello.getSession(), half)) {
            half.refuse("the " + (half.data == null ? "data" : "control") + " stream of session "
                    + Long.toHexString(half.hello.getSession()) + " did not arrive within connect-int");
        }
    }

    /** Makes the TLS session and the remote address visible to the service methods. */
    private static final class TransportInfo implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            Object remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            Context context = Context.current()
                    .withValue(SSL_SESSION, call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))
                    .withValue(REMOTE, remote == null ? "?" : remote.toString().replaceFirst("^.*/", ""));
            return Contexts.interceptCall(context, call, headers, next);
        }
    }
}
