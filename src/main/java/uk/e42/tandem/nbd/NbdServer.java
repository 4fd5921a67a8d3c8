package uk.e42.tandem.nbd;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * The NBD server: a Vert.x NetServer speaking fixed newstyle NBD for a set of exports. Socket work
 * stays on event loops; disk I/O runs on a fixed pool of worker threads whose queue is bounded by the
 * connections' in-flight windows ({@link NbdConnection#MAX_IN_FLIGHT} each).
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NbdServer.class);
    static final int IO_THREADS = 16;

    private final Vertx vertx;
    private final NbdExports exports;
    /** Platform threads: blocking file I/O on a virtual thread pins its carrier and makes the pool compensate. */
    private final ExecutorService io = Executors.newFixedThreadPool(IO_THREADS, Thread.ofPlatform().daemon()
            .name("nbd-io-", 0).factory());
    private final BufferPool pool = new BufferPool(BlockSizes.MAX_PAYLOAD);
    private NetServer server;

    public NbdServer(Vertx vertx, NbdExports exports) {
        this.vertx = vertx;
        this.exports = exports;
    }

    /** Listens on host:port (port 0 picks a free one); completes with the bound port. */
    public Future<Integer> listen(String host, int port) {
        NetServerOptions options = new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true);
        server = vertx.createNetServer(options);
        server.connectHandler(socket -> new NbdConnection(socket, vertx.getOrCreateContext(), exports, io, pool).start());
        return server.listen().map(s -> {
            LOG.infof("NBD server listening on %s:%d, exports: %s", host, s.actualPort(), String.join(", ", exports.names()));
            return s.actualPort();
        }).onFailure(e -> LOG.errorf("NBD server cannot listen on %s:%d: %s (set tandem.nbd.host / tandem.nbd.port)",
                host, port, e.getMessage()));
    }

    public NbdExports exports() {
        return exports;
    }

    /** Clients in the transmission phase on the export with this name (any of its names); 0 if none. */
    public int clients(String exportName) {
        return exports.find(exportName).map(NbdExport::clients).orElse(0);
    }

    public Future<Void> stop() {
        Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
        return closed.onComplete(ar -> io.shutdown());
    }

    @Override
    public void close() {
        stop().toCompletionStage().toCompletableFuture().join();
    }
}
