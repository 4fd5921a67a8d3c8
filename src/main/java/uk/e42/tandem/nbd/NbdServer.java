package uk.e42.tandem.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The NBD server: fixed newstyle NBD for a set of exports, on plain blocking sockets. One thread
 * accepts; each connection gets a thread of its own for haggling and reading requests, and up to
 * {@code workers} more for requests that run side by side (nbdkit's {@code --threads}); a thread that runs
 * a lone request itself hands the reading to one of them first. No event loop
 * is involved: every thread here may block on its socket or its disk.
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NbdServer.class);
    /** nbdkit's default of threads per connection. */
    public static final int DEFAULT_WORKERS = 16;

    private final NbdExports exports;
    private final int workers;
    private final BufferPool pool = new BufferPool(BlockSizes.MAX_PAYLOAD);
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connected = new AtomicLong();
    private ServerSocketChannel listener;
    private Thread acceptor;
    private volatile boolean stopped;

    /** @param workers threads per connection that run its requests side by side (at least 1) */
    public NbdServer(NbdExports exports, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("NBD worker threads per connection must be at least 1, not " + workers
                    + " (tandem.nbd.threads)");
        }
        this.exports = exports;
        this.workers = workers;
    }

    /** Listens on host:port (port 0 picks a free one); returns the bound port. */
    public int listen(String host, int port) throws IOException {
        try {
            listener = ServerSocketChannel.open();
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listener.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            if (listener != null) {
                listener.close();
            }
            LOG.errorf("NBD server cannot listen on %s:%d: %s (set tandem.nbd.host / tandem.nbd.port)", host, port,
                    e.getMessage());
            throw e;
        }
        int bound = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        // Not a daemon thread: a listening server keeps the process alive (NbdFileServer's main returns) until close().
        acceptor = Thread.ofPlatform().name("nbd-accept").start(this::accept);
        LOG.infof("NBD server listening on %s:%d, exports: %s", host, bound, String.join(", ", exports.names()));
        return bound;
    }

    private void accept() {
        while (true) {
            SocketChannel channel;
            try {
                channel = listener.accept();
            } catch (ClosedChannelException e) {
                return; // stopped
            } catch (IOException e) {
                // Out of file descriptors and the like: the listener stays, the next accept may work.
                LOG.warnf("NBD server: accepting a connection failed: %s", e.toString());
                pauseAfterFailedAccept();
                continue;
            }
            serve(channel);
        }
    }

    private void serve(SocketChannel channel) {
        NbdConnection[] self = new NbdConnection[1];
        try {
            start(channel, self);
        } catch (RuntimeException | OutOfMemoryError e) {
            // No memory or no thread for this one: it is turned away, the server keeps accepting.
            LOG.errorf("NBD server: cannot serve a new connection (%s); closing it", e.toString());
            if (self[0] != null) {
                connections.remove(self[0]);
            }
            closeQuietly(channel);
        }
    }

    private void start(SocketChannel channel, NbdConnection[] self) {
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            // A client host that vanishes with nothing in flight would otherwise hold its thread for good.
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        } catch (IOException e) {
            LOG.debugf("NBD server: socket options not set: %s", e.toString());
        }
        String name = "nbd-" + connected.incrementAndGet();
        self[0] = new NbdConnection(channel, name, exports, pool, workers, () -> connections.remove(self[0]));
        connections.add(self[0]);
        if (stopped) {
            self[0].close(); // accepted while close() ran: it must not outlive the server
        }
        Thread.ofPlatform().daemon().name(name).start(self[0]);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debugf("NBD server: closing a connection that could not be served: %s", e.toString());
        }
    }

    private static void pauseAfterFailedAccept() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public NbdExports exports() {
        return exports;
    }

    /** Clients in the transmission phase on the export with this name (any of its names); 0 if none. */
    public int clients(String exportName) {
        return exports.find(exportName).map(NbdExport::clients).orElse(0);
    }

    /** Stops listening and closes every connection; requests still at the disk finish on their own. */
    @Override
    public void close() {
        if (listener == null) {
            return;
        }
        stopped = true;
        try {
            listener.close();
        } catch (IOException e) {
            LOG.debugf("NBD server: closing the listener: %s", e.toString());
        }
        connections.forEach(NbdConnection::close);
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
