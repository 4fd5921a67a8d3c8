package uk.e42.tandem.peer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import uk.e42.tandem.node.HostPort;

/**
 * A TCP forwarder on loopback that can misbehave on command, for tests of what a network does to
 * a replication link:
 * <ul>
 * <li>{@link #stall()}: stop forwarding in both directions on every connection, old and new,
 * while keeping them open (a peer that stopped reading, a link that went dark); {@link #resume()}
 * forwards what waited;</li>
 * <li>{@link #delay(Duration)}: forward each chunk only after this long (a slow WAN);</li>
 * <li>{@link #cut()}: reset every open connection at once (a cable pulled, a firewall reset);
 * new connections are still forwarded.</li>
 * </ul>
 * One virtual thread per direction per connection; {@link #close()} ends them all.
 */
public final class FaultyTcpProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private final AtomicLong forwardedBytes = new AtomicLong();
    private final AtomicLong acceptedConnections = new AtomicLong();
    private volatile boolean stalled;
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean closed;

    private FaultyTcpProxy(ServerSocket listener, InetSocketAddress target) {
        this.listener = listener;
        this.target = target;
    }

    /** Listens on an ephemeral loopback port and forwards to {@code target}. */
    public static FaultyTcpProxy to(HostPort target) throws IOException {
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FaultyTcpProxy proxy = new FaultyTcpProxy(listener, new InetSocketAddress(target.host(), target.port()));
        Thread.ofVirtual().name("proxy-accept-" + listener.getLocalPort()).start(proxy::acceptLoop);
        return proxy;
    }

    /** Where to connect to reach the target through the proxy. */
    public HostPort address() {
        return new HostPort(listener.getInetAddress().getHostAddress(), listener.getLocalPort());
    }

    public void stall() {
        stalled = true;
    }

    public void resume() {
        synchronized (gate) {
            stalled = false;
            gate.notifyAll();
        }
    }

    public void delay(Duration perChunk) {
        delay = perChunk;
    }

    /** Resets every open connection (RST, not FIN). */
    public void cut() {
        for (Socket socket : sockets) {
            reset(socket);
        }
    }

    /** Bytes forwarded so far, both directions. */
    public long forwardedBytes() {
        return forwardedBytes.get();
    }

    public long acceptedConnections() {
        return acceptedConnections.get();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        resume();
        cut();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            acceptedConnections.incrementAndGet();
            Socket server = new Socket();
            try {
                server.connect(target, 2000);
            } catch (IOException e) {
                reset(client);
                continue;
            }
            sockets.add(client);
            sockets.add(server);
            Thread.ofVirtual().start(() -> pump(client, server));
            Thread.ofVirtual().start(() -> pump(server, client));
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[64 << 10];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                awaitOpenGate();
                int n = in.read(buffer);
                if (n < 0) {
                    to.shutdownOutput();
                    return;
                }
                Duration wait = delay;
                if (!wait.isZero()) {
                    Thread.sleep(wait);
                }
                awaitOpenGate();
                out.write(buffer, 0, n);
                out.flush();
                forwardedBytes.addAndGet(n);
            }
        } catch (IOException | InterruptedException e) {
            reset(from);
            reset(to);
        }
    }

    private void awaitOpenGate() throws InterruptedException {
        synchronized (gate) {
            while (stalled && !closed) {
                gate.wait();
            }
        }
    }

    private void reset(Socket socket) {
        sockets.remove(socket);
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException closedAlready) {
            // Closing is all we wanted.
        }
    }
}
