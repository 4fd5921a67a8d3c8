package uk.e42.tandem.device;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import uk.e42.tandem.meta.Bitmap;

/**
 * The heap a node's volumes may take beyond a fixed reserve, so that a capped daemon refuses a volume up
 * front instead of dying of OutOfMemoryError in the middle of a resync. A volume holds its bitmap, which
 * allocates a 4 KiB page at its first set bit: wholly out of sync (the initial sync, {@code invalidate})
 * that is a bit per 4 KiB block, 32 MiB per TiB. And {@code max-buffers}/2 pages (DRBD's bound on a
 * receiver's buffers) for resync blocks: what a SyncTarget with csums-alg reads of its own blocks into the
 * heap to digest them, at most that many pages asked for at once. One budget per node, shared by its
 * resources.
 *
 * <p>Not the resync data a SyncTarget receives: that stays in the peer links' Netty buffers until written
 * (aliased, see {@code peer.InboundMarshaller}), which are direct memory, capped by
 * {@code -XX:MaxDirectMemorySize} (Netty allocates through the JDK here, so one cap for all direct buffers)
 * and not checked up front: up to 32 packets held and a 32 MiB flow-control window per connection, next to
 * the NBD connections' buffers (README, "Memory"). Nor, per volume, the SyncSource's read arrays
 * ({@code ResyncSource}): up to its read-ahead (8 MiB) plus the packets waiting in the data stream's
 * sndbuf-size window, whatever max-buffers is; they come out of {@link #RESERVED_BYTES}.
 */
public final class HeapBudget {
    private static final long MIB = 1L << 20;
    /**
     * Heap for everything else: a SyncSource's read arrays, gRPC, Quarkus. A judgement, not a measured
     * bound: bench/memory.sh ran a loaded pair within a 128 MiB heap whose bitmaps took 2 MiB.
     */
    static final long RESERVED_BYTES = 96 * MIB;

    private final long maxHeapBytes;
    private final long maxHeapOptionBytes;
    private final Map<String, Long> held = new HashMap<>();

    /**
     * {@code maxHeapBytes} is the heap objects can use, {@code maxHeapOptionBytes} the {@code -Xmx} that gave
     * it: the serial collector keeps one survivor space (1/30 of the heap) out of the first.
     */
    public HeapBudget(long maxHeapBytes, long maxHeapOptionBytes) {
        this.maxHeapBytes = maxHeapBytes;
        this.maxHeapOptionBytes = maxHeapOptionBytes;
    }

    /** The budget of this JVM's heap ({@code -Xmx}; a quarter of the RAM when not given). */
    public static HeapBudget ofThisJvm() {
        long usable = Runtime.getRuntime().maxMemory();
        HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        // null on a VM without HotSpot's options: take the usable heap for the option
        return new HeapBudget(usable, hotSpot == null ? usable
                : Long.parseLong(hotSpot.getVMOption("MaxHeapSize").getValue()));
    }

    /** The heap of {@code volumeBytes}' bitmap with every bit set: a bit per started 4 KiB block. */
    static long fullBitmapBytes(long volumeBytes) {
        long bits = (volumeBytes + (1L << Bitmap.BLOCK_SHIFT) - 1) >>> Bitmap.BLOCK_SHIFT;
        return (bits + Bitmap.PAGE_BITS - 1) / Bitmap.PAGE_BITS * Bitmap.PAGE_BYTES;
    }

    /** The resync blocks a SyncTarget with csums-alg may have read into the heap at once. */
    static long resyncBufferBytes(int maxBuffers) {
        return maxBuffers / 2 * 4096L;
    }

    /**
     * Reserves room for {@code holder}'s volume of {@code volumeBytes} with {@code max-buffers}, replacing
     * what it held before (a re-attach, a resize, an adjust), or says why there is none.
     */
    public synchronized Optional<String> reserve(String holder, long volumeBytes, int maxBuffers) {
        long bitmap = fullBitmapBytes(volumeBytes);
        long buffers = resyncBufferBytes(maxBuffers);
        long others = held.entrySet().stream().filter(e -> !e.getKey().equals(holder))
                .mapToLong(Map.Entry::getValue).sum();
        if (others + bitmap + buffers + RESERVED_BYTES <= maxHeapBytes) {
            held.put(holder, bitmap + buffers);
            return Optional.empty();
        }
        // the -Xmx that gives that much usable heap, in steps of 64 MiB
        long option = (long) Math.ceil((double) (others + bitmap + buffers + RESERVED_BYTES) * maxHeapOptionBytes
                / maxHeapBytes);
        long suggestion = (option + 64 * MIB - 1) / (64 * MIB) * 64;
        String heap = maxHeapBytes == maxHeapOptionBytes ? toMib(maxHeapBytes) + " MiB"
                : toMib(maxHeapBytes) + " MiB usable of -Xmx" + toMib(maxHeapOptionBytes) + "m";
        return Optional.of("this " + toMib(volumeBytes) + " MiB volume needs up to " + toMib(bitmap + buffers)
                + " MiB of heap (" + toMib(bitmap) + " MiB of bitmap, 32 MiB per TiB, and " + toMib(buffers)
                + " MiB of resync data for max-buffers " + maxBuffers + "), other attached volumes hold "
                + toMib(others) + " MiB, and the daemon's heap is " + heap + " with "
                + toMib(RESERVED_BYTES) + " MiB kept for the rest; start the daemon with a larger heap, e.g. "
                + "TANDEM_JAVA_OPTS=-Xmx" + suggestion + "m" + (buffers > bitmap ? ", or lower max-buffers" : ""));
    }

    /**
     * Reserves room as {@link #reserve} does, for a change that may still fail: closing the result without
     * {@link Change#keep()} puts back what {@code holder} held before (or nothing), so that every failure
     * path after the reservation, an exception included, gives the room back.
     *
     * @throws NoRoom there is none; nothing changed
     */
    public synchronized Change change(String holder, long volumeBytes, int maxBuffers) throws NoRoom {
        Long before = held.get(holder);
        Optional<String> noRoom = reserve(holder, volumeBytes, maxBuffers);
        if (noRoom.isPresent()) {
            throw new NoRoom(noRoom.get());
        }
        return new Change(holder, before, held.get(holder));
    }

    /** What {@code holder} holds, in bytes; 0 when nothing. */
    public synchronized long held(String holder) {
        return held.getOrDefault(holder, 0L);
    }

    /** Puts {@code before} back unless the holder's share changed since {@code put} (a detach, an adjust). */
    private synchronized void restore(String holder, Long before, Long put) {
        if (!Objects.equals(held.get(holder), put)) {
            return;
        }
        if (before == null) {
            held.remove(holder);
        } else {
            held.put(holder, before);
        }
    }

    /** A reservation made for a change in progress: kept when the change succeeded, else undone by {@link #close}. */
    public final class Change implements AutoCloseable {
        private final String holder;
        private final Long before;
        private final Long put;
        private boolean kept;

        private Change(String holder, Long before, Long put) {
            this.holder = holder;
            this.before = before;
            this.put = put;
        }

        /** The change succeeded: the reservation stays. */
        public void keep() {
            kept = true;
        }

        @Override
        public void close() {
            if (!kept) {
                restore(holder, before, put);
            }
        }
    }

    /** No room for a volume: the message says how much it needs, what the heap holds and how to make room. */
    public static final class NoRoom extends Exception {
        NoRoom(String message) {
            super(message);
        }
    }

    /** {@code holder}'s volume is detached: its bitmap and buffers are gone. */
    public synchronized void release(String holder) {
        held.remove(holder);
    }

    private static long toMib(long bytes) {
        return (bytes + MIB - 1) / MIB;
    }
}
