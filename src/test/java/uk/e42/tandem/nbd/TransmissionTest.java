package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * A request whose reply cannot be built or handed to the socket's writer (no memory for it) still leaves the
 * window: it is answered with EIO, or the connection ends. Before, the request stayed in flight for good and
 * the connection never drained.
 */
class TransmissionTest {
    static final long SIZE = 1 << 20;
    @TempDir
    Path dir;
    private FileBlockStore store;
    private NbdSession session;
    private final ExecutorService workers = Executors.newSingleThreadExecutor();
    /** Replies the sink took, in order. */
    private final List<ByteBuffer> replies = new CopyOnWriteArrayList<>();
    private final AtomicInteger connectionEnds = new AtomicInteger();

    @BeforeEach
    void session() throws IOException {
        Path file = dir.resolve("disk");
        Files.write(file, new byte[(int) SIZE]);
        store = FileBlockStore.open(file);
        NbdExport export = new NbdExport(List.of("replicated0"), store, Optional::empty, true,
                new BlockSizes(512, 4096, 64 * 1024));
        session = new NbdSession(export, true, false, "");
    }

    @AfterEach
    void stop() throws IOException {
        workers.shutdownNow();
        store.close();
    }

    /** A socket writer that has no memory for the first {@code failures} replies, then takes them. */
    private Transmission.ReplySink sinkFailing(int failures) {
        AtomicInteger left = new AtomicInteger(failures);
        return (reply, sent) -> {
            if (left.getAndDecrement() > 0) {
                throw new OutOfMemoryError("Java heap space (injected)");
            }
            replies.add(reply);
            sent.run();
        };
    }

    private Transmission transmission(Transmission.ReplySink sink) {
        return new Transmission(session, "test", workers, new BufferPool(64 * 1024), sink,
                connectionEnds::incrementAndGet);
    }

    private static void submitOnAWorker(Transmission transmission, NbdRequest request) {
        // more requests waiting: this one goes to a worker and the reading thread reads on
        transmission.submit(request, true, () -> {
        });
    }

    @Test
    void aReadWhoseReplyCannotBeSentIsAnsweredWithEio() {
        Transmission transmission = transmission(sinkFailing(1));
        submitOnAWorker(transmission, new NbdRequest(0, Nbd.CMD_READ, 7, 0, 4096, null));
        assertTimeoutPreemptively(Duration.ofSeconds(10), transmission::awaitDrained, "the read left the window");
        assertEquals(0, transmission.inFlightBytes());
        assertEquals(1, replies.size(), "one answer");
        ByteBuffer reply = replies.getFirst();
        assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, reply.getInt(0));
        assertEquals(Nbd.REPLY_TYPE_ERROR, reply.getShort(6) & 0xffff);
        assertEquals(7, reply.getLong(8), "the read's handle");
        assertEquals(NbdError.EIO.code(), reply.getInt(ReplyEncoder.CHUNK_HEADER));
        assertEquals(0, connectionEnds.get(), "the connection goes on");
    }

    @Test
    void aWriteThatCannotBeAnsweredAtAllEndsTheConnection() {
        Transmission transmission = transmission(sinkFailing(Integer.MAX_VALUE));
        ByteBuffer payload = ByteBuffer.allocateDirect(4096);
        submitOnAWorker(transmission, new NbdRequest(0, Nbd.CMD_WRITE, 8, 4096, 4096, payload));
        assertTimeoutPreemptively(Duration.ofSeconds(10), transmission::awaitDrained, "the write left the window");
        assertEquals(0, transmission.inFlightBytes());
        assertEquals(List.of(), replies);
        assertEquals(1, connectionEnds.get(), "the client sees the connection end instead of waiting for its reply");
        assertEquals(0, transmission.inFlight());
    }
}
