package uk.e42.tandem.tunnel;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Measures (does not test) gRPC throughput of 1 MiB messages over loopback, TLS 1.3 against
 * plaintext in the same run, alternating so both see the same machine load. Not a JUnit test: run
 * it with the test class path, e.g. the one surefire records in its report:
 * <pre>
 * cp=$(grep -o 'name="surefire.test.class.path" value="[^"]*"' target/surefire-reports/TEST-*TlsSettingsTest.xml \
 *     | sed 's/.*value="//; s/"$//')
 * java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "$cp" \
 *     uk.e42.tandem.tunnel.TlsThroughput [MiB per round, default 1024]
 * </pre>
 */
public final class TlsThroughput {
    private static final int MESSAGE = 1 << 20;
    private static final int IN_FLIGHT = 8;

    private TlsThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        StaticKey key = StaticKey.generate(new SecureRandom());
        try (LinkSecurity rosaria = LinkSecurity.staticKey(key, "rosaria", Clock.systemUTC());
                LinkSecurity paimon = LinkSecurity.staticKey(key, "paimon", Clock.systemUTC())) {
            SslContext server = paimon.peerServerContext(List.of("rosaria")).orElseThrow();
            SslContext client = rosaria.peerClientContext("paimon").orElseThrow();
            System.out.printf("JDK %s, %d cores, %s, %d x 1 MiB per round, %d calls in flight%n",
                    Runtime.version(), Runtime.getRuntime().availableProcessors(),
                    GrpcSslContexts.class.getSimpleName() + " on the " + LinkSecurity.peerProvider() + " provider",
                    mib, IN_FLIGHT);
            run("warm-up plaintext", null, null, mib / 4);
            run("warm-up TLS", server, client, mib / 4);
            for (int round = 1; round <= 2; round++) {
                run("plaintext #" + round, null, null, mib);
                run("TLS 1.3   #" + round, server, client, mib);
            }
        }
    }

    private static void run(String label, SslContext serverTls, SslContext clientTls, int messages) throws Exception {
        byte[] payload = new byte[MESSAGE];
        new SecureRandom().nextBytes(payload);
        try (EchoLink server = new EchoLink(serverTls)) {
            ManagedChannel channel = server.channel(clientTls, "paimon");
            try {
                String cipher = clientTls == null ? "none"
                        : LinkSecurity.describe(EchoLink.call(channel, new byte[1]).session());
                Semaphore window = new Semaphore(IN_FLIGHT);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                long start = System.nanoTime();
                for (int i = 0; i < messages && failure.get() == null; i++) {
                    window.acquire();
                    ClientCalls.asyncUnaryCall(channel.newCall(EchoLink.SINK, CallOptions.DEFAULT), payload,
                            new StreamObserver<>() {
                                @Override
                                public void onNext(byte[] value) {
                                }

                                @Override
                                public void onError(Throwable t) {
                                    failure.set(t);
                                    window.release();
                                }

                                @Override
                                public void onCompleted() {
                                    window.release();
                                }
                            });
                }
                window.acquire(IN_FLIGHT);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (failure.get() != null) {
                    throw new IllegalStateException(label + " failed", failure.get());
                }
                System.out.printf("%-18s %8.1f MiB/s  (%d MiB in %.2f s; %s)%n", label, messages / seconds, messages,
                        seconds, cipher);
            } finally {
                EchoLink.close(channel);
            }
        }
        TimeUnit.MILLISECONDS.sleep(200);
    }
}
