package uk.e42.tandem.nbd;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * A real NBD server on loopback for tests: one file-backed export named like the
 * seed's ({@code replicated0} and {@code drbd0}), a settable write gate, and a count of the discards
 * that reached the store.
 */
final class TestNbdServer implements AutoCloseable {
    final Path file;
    final FileBlockStore store;
    final AtomicReference<String> refusal = new AtomicReference<>();
    final AtomicInteger discards = new AtomicInteger();
    /** While set, writes wait for it: a store that has stopped keeping up. */
    final AtomicReference<CountDownLatch> writeGate = new AtomicReference<>();
    /** Writes that have reached the gate while it was set. */
    final AtomicInteger writesAtGate = new AtomicInteger();
    final NbdExport export;
    final NbdServer server;
    final int port;

    TestNbdServer(Path file, long size) throws IOException {
        this(file, size, NbdServer.DEFAULT_WORKERS);
    }

    TestNbdServer(Path file, long size, int workers) throws IOException {
        this.file = file;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        store = FileBlockStore.open(file);
        export = new NbdExport(List.of("replicated0", "drbd0"), new ObservedStore(store, discards, writeGate, writesAtGate),
                () -> Optional.ofNullable(refusal.get()), true, BlockSizes.forSize(size));
        server = new NbdServer(NbdExports.of(export), workers);
        port = server.listen("127.0.0.1", 0);
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + port + "/" + export;
    }

    @Override
    public void close() throws IOException {
        server.close();
        store.close();
    }

    /** The real store, counting the discards that reach it (mkfs.ext4's TRIMs) and holding writes at a gate. */
    private record ObservedStore(BlockStore store, AtomicInteger discards, AtomicReference<CountDownLatch> writeGate,
            AtomicInteger writesAtGate) implements BlockStore {
        @Override
        public long size() {
            return store.size();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            store.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            CountDownLatch gate = writeGate.get();
            if (gate != null) {
                writesAtGate.incrementAndGet();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the write gate", e);
                }
            }
            store.write(offset, src);
        }

        @Override
        public void flush() throws IOException {
            store.flush();
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            discards.incrementAndGet();
            store.discard(offset, length);
        }

        @Override
        public void writeZeroes(long offset, long length) throws IOException {
            store.writeZeroes(offset, length);
        }

        @Override
        public void close() throws IOException {
            store.close();
        }
    }
}
