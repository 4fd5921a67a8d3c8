package uk.e42.tandem.device;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The heap a node's bitmaps may take. A bitmap allocates a 4 KiB page at its first set bit, so a volume
 * that is wholly out of sync (the initial sync, {@code invalidate}) holds one bit per 4 KiB block: 32 MiB
 * per TiB. That has to fit in the capped heap next to the buffers of in-flight writes and resync, or the
 * daemon would die of OutOfMemoryError in the middle of a resync; attach refuses the volume instead and
 * says how to raise the cap. One budget per node, shared by its resources.
 */
public final class BitmapHeapBudget {
    private static final long MIB = 1L << 20;
    /** Heap for everything but bitmaps: in-flight writes and resync data, gRPC, Quarkus (bench/memory.sh). */
    static final long RESERVED_BYTES = 96 * MIB;

    private final long maxHeapBytes;
    private final Map<String, Long> held = new HashMap<>();

    public BitmapHeapBudget(long maxHeapBytes) {
        this.maxHeapBytes = maxHeapBytes;
    }

    /** The budget of this JVM's heap ({@code -Xmx}; a quarter of the RAM when not given). */
    public static BitmapHeapBudget ofThisJvm() {
        return new BitmapHeapBudget(Runtime.getRuntime().maxMemory());
    }

    /** The heap of {@code volumeBytes}' bitmap with every bit set: a bit per started 4 KiB block. */
    static long fullBitmapBytes(long volumeBytes) {
        long bits = (volumeBytes + 4095) >>> 12;
        return (bits + 4L * 8 * 1024 - 1) / (4L * 8 * 1024) * 4096;
    }

    /**
     * Reserves room for the full bitmap of {@code holder}'s volume of {@code volumeBytes}, replacing what
     * it held before (a resize), or says why there is none.
     */
    public synchronized Optional<String> reserve(String holder, long volumeBytes) {
        long need = fullBitmapBytes(volumeBytes);
        long others = held.entrySet().stream().filter(e -> !e.getKey().equals(holder))
                .mapToLong(Map.Entry::getValue).sum();
        if (others + need + RESERVED_BYTES <= maxHeapBytes) {
            held.put(holder, need);
            return Optional.empty();
        }
        long suggestion = (others + need + RESERVED_BYTES + 64 * MIB - 1) / (64 * MIB) * 64;
        return Optional.of("the bitmap of this " + toMib(volumeBytes) + " MiB volume needs up to " + toMib(need)
                + " MiB of heap (32 MiB per TiB), other attached volumes hold " + toMib(others)
                + " MiB, and the daemon's heap is " + toMib(maxHeapBytes) + " MiB with " + toMib(RESERVED_BYTES)
                + " MiB kept for buffers; start the daemon with a larger heap, e.g. TANDEM_JAVA_OPTS=-Xmx"
                + suggestion + "m");
    }

    /** {@code holder}'s volume is detached: its bitmap is gone. */
    public synchronized void release(String holder) {
        held.remove(holder);
    }

    private static long toMib(long bytes) {
        return (bytes + MIB - 1) / MIB;
    }
}
