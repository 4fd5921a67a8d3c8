package uk.e42.tandem.tunnel;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.netty.handler.ssl.SslContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSession;

/**
 * A tiny gRPC echo service on loopback, defined here with a byte[] marshaller (no .proto), that
 * records the TLS session each side saw: enough to prove what the peer link will get.
 */
final class EchoLink implements AutoCloseable {
    static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("tandem.test.Echo/Echo")
            .setRequestMarshaller(BytesMarshaller.INSTANCE)
            .setResponseMarshaller(BytesMarshaller.INSTANCE)
            .build();
    /** Takes a message, answers with its length only: one-way bulk traffic, as replication is. */
    static final MethodDescriptor<byte[], byte[]> SINK = ECHO.toBuilder().setFullMethodName("tandem.test.Echo/Sink")
            .build();
    /** 1 MiB messages plus framing. */
    static final int MAX_MESSAGE = 2 << 20;

    private final Server server;
    final AtomicInteger calls = new AtomicInteger();
    final CompletableFuture<SSLSession> serverSession = new CompletableFuture<>();

    EchoLink(SslContext serverContext) throws IOException {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("tandem.test.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, reply) -> {
                    calls.incrementAndGet();
                    reply.onNext(request);
                    reply.onCompleted();
                }))
                .addMethod(SINK, ServerCalls.asyncUnaryCall((request, reply) -> {
                    calls.incrementAndGet();
                    reply.onNext(ByteBuffer.allocate(4).putInt(request.length).array());
                    reply.onCompleted();
                })).build();
        ServerInterceptor sessionRecorder = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                if (session != null) {
                    serverSession.complete(session);
                }
                return next.startCall(call, headers);
            }
        };
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .maxInboundMessageSize(MAX_MESSAGE)
                .addService(ServerInterceptors.intercept(echo, sessionRecorder));
        if (serverContext != null) {
            builder.sslContext(serverContext);
        }
        server = builder.build().start();
    }

    int port() {
        return server.getPort();
    }

    /** A channel to this server; {@code clientContext} null means plaintext. */
    ManagedChannel channel(SslContext clientContext, String peerName) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", port())
                .maxInboundMessageSize(MAX_MESSAGE).overrideAuthority(peerName);
        if (clientContext == null) {
            builder.usePlaintext();
        } else {
            builder.sslContext(clientContext);
        }
        return builder.build();
    }

    /** One echo call; returns the reply and the client's view of the TLS session. */
    static Reply call(ManagedChannel channel, byte[] message) {
        ClientCall<byte[], byte[]> call = channel.newCall(ECHO, CallOptions.DEFAULT.withDeadlineAfter(20,
                TimeUnit.SECONDS));
        byte[] reply = ClientCalls.blockingUnaryCall(call, message);
        return new Reply(reply, call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    }

    record Reply(byte[] body, SSLSession session) {
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    static void close(ManagedChannel channel) throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
