package uk.e42.tandem.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A store that fails on purpose: the "failing disk" of tests and of the e2e scenarios where a node
 * must detach on an I/O error (DRBD's on-io-error). Faults can be added and removed while the store
 * is in use; everything not matched by a fault goes to the wrapped store unchanged.
 *
 * <ul>
 *   <li>{@link #failReads}/{@link #failWrites}: EIO for requests touching a byte range.</li>
 *   <li>{@link #noSpaceFrom}: ENOSPC for writes reaching beyond an offset (a thin volume that ran full).</li>
 *   <li>{@link #tornWrites}: a write puts only its first bytes on the device and then fails, as a device
 *       that completes a short write; callers see the error, never a silent short write.</li>
 *   <li>{@link #failFlushes}: EIO on flush (a lost cache).</li>
 *   <li>{@link #latency}: every request waits first.</li>
 * </ul>
 */
public final class FaultyBlockStore implements BlockStore {
    /** Marks an injected error in messages so logs never mistake it for a real one. */
    public static final String INJECTED = "(injected by FaultyBlockStore)";

    private enum Kind { READ_EIO, WRITE_EIO, ENOSPC, TORN_WRITE, FLUSH_EIO }

    private record Fault(Kind kind, long from, long to, int keepBytes) {
        boolean touches(long offset, long length) {
            return offset < to && offset + length > from;
        }
    }

    private final BlockStore inner;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final AtomicLong injected = new AtomicLong();
    private volatile Duration latency = Duration.ZERO;

    public FaultyBlockStore(BlockStore inner) {
        this.inner = inner;
    }

    /** Reads touching {@code [offset, offset+length)} fail with EIO. */
    public FaultyBlockStore failReads(long offset, long length) {
        faults.add(new Fault(Kind.READ_EIO, offset, offset + length, 0));
        return this;
    }

    /** Writes, discards and write-zeroes touching {@code [offset, offset+length)} fail with EIO; nothing is written. */
    public FaultyBlockStore failWrites(long offset, long length) {
        faults.add(new Fault(Kind.WRITE_EIO, offset, offset + length, 0));
        return this;
    }

    /** Writes reaching at or beyond {@code offset} fail with ENOSPC; nothing is written. */
    public FaultyBlockStore noSpaceFrom(long offset) {
        faults.add(new Fault(Kind.ENOSPC, offset, Long.MAX_VALUE, 0));
        return this;
    }

    /**
     * Writes touching the range store only their first {@code keepBytes} bytes, then fail: the torn
     * write a crash or a failing device leaves behind.
     */
    public FaultyBlockStore tornWrites(long offset, long length, int keepBytes) {
        faults.add(new Fault(Kind.TORN_WRITE, offset, offset + length, keepBytes));
        return this;
    }

    /** Every flush fails with EIO. */
    public FaultyBlockStore failFlushes() {
        faults.add(new Fault(Kind.FLUSH_EIO, 0, Long.MAX_VALUE, 0));
        return this;
    }

    /** Every request sleeps this long before it runs. */
    public FaultyBlockStore latency(Duration delay) {
        this.latency = delay;
        return this;
    }

    /** Removes every fault and the latency: the disk is healthy again. */
    public FaultyBlockStore heal() {
        faults.clear();
        latency = Duration.ZERO;
        return this;
    }

    /** How many requests failed because of an injected fault. */
    public long injectedFailures() {
        return injected.get();
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public long refreshSize() throws IOException {
        return inner.refreshSize();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        delay();
        for (Fault f : faults) {
            if (f.kind == Kind.READ_EIO && f.touches(offset, dst.remaining())) {
                throw fail("Input/output error (EIO) reading", offset, dst.remaining());
            }
        }
        inner.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        delay();
        int length = src.remaining();
        checkWriteFaults(offset, length);
        for (Fault f : faults) {
            if (f.kind == Kind.TORN_WRITE && f.touches(offset, length)) {
                int keep = Math.min(f.keepBytes, length);
                ByteBuffer head = src.duplicate();
                head.limit(head.position() + keep);
                inner.write(offset, head);
                src.position(src.position() + keep);
                throw fail("short write: " + keep + " of " + length + " bytes written", offset, length);
            }
        }
        inner.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        delay();
        for (Fault f : faults) {
            if (f.kind == Kind.FLUSH_EIO) {
                throw fail("Input/output error (EIO) flushing", 0, 0);
            }
        }
        inner.flush();
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        delay();
        checkWriteFaults(offset, length);
        inner.discard(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        delay();
        checkWriteFaults(offset, length);
        inner.writeZeroes(offset, length);
    }

    private void checkWriteFaults(long offset, long length) throws IOException {
        for (Fault f : faults) {
            if (f.kind == Kind.WRITE_EIO && f.touches(offset, length)) {
                throw fail("Input/output error (EIO) writing", offset, length);
            }
            if (f.kind == Kind.ENOSPC && offset + length > f.from) {
                throw fail("No space left on device (ENOSPC) writing", offset, length);
            }
        }
    }

    private IOException fail(String what, long offset, long length) {
        injected.incrementAndGet();
        return new IOException(inner.describe() + ": " + what + " " + offset + "+" + length + " " + INJECTED);
    }

    private void delay() throws IOException {
        Duration d = latency;
        if (!d.isZero()) {
            try {
                Thread.sleep(d);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(inner.describe() + ": interrupted during injected latency", e);
            }
        }
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public String toString() {
        return "faulty " + inner.describe();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
