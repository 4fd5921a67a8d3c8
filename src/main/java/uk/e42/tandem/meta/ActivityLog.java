package uk.e42.tandem.meta;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * DRBD's activity log: the set of "hot" 4 MiB extents (at most {@code al-extents}) a Primary may be
 * writing. A write to an extent outside the set first needs an AL transaction on stable storage that
 * brings the extent in (evicting the least recently used idle extent when the set is full); after a
 * crash of a Primary the replayed set marks exactly those extents out of sync, so the peers are made
 * identical again by a bitmap resync (invariant 6).
 *
 * <p>This class is the decision logic only: {@link #begin} says which transaction has to be written,
 * {@link #commit} applies it once it is durable. It is not thread-safe: {@link MetaData} drives it under
 * its lock. The on-disk ring and the replay rules are at the end of the class.
 */
public final class ActivityLog {
    /** AL_EXTENT_SHIFT: one extent is 4 MiB. */
    public static final int EXTENT_SHIFT = 22;
    /** Bitmap bits per extent (4 MiB / 4 KiB). */
    public static final int BITS_PER_EXTENT = 1 << (EXTENT_SHIFT - Bitmap.BLOCK_SHIFT);
    public static final int MIN_EXTENTS = 67;
    public static final int DEFAULT_EXTENTS = 1237;

    private final int size;
    private final int[] slotExtent;
    private final int[] slotRefs;
    private final Map<Integer, Integer> slotOf = new HashMap<>();
    /** Slots in least-recently-used order (first = coldest). */
    private final LinkedHashSet<Integer> lru = new LinkedHashSet<>();
    private int trNumber;
    private int trCycle;

    /** An empty active set of {@code alExtents} slots; the next transaction gets number {@code nextTrNumber}. */
    public ActivityLog(int alExtents, int nextTrNumber) {
        if (alExtents < MIN_EXTENTS || alExtents > AlTransaction.MAX_EXTENTS) {
            throw new IllegalArgumentException("al-extents " + alExtents + " is out of range " + MIN_EXTENTS + ".."
                    + AlTransaction.MAX_EXTENTS);
        }
        this.size = alExtents;
        this.slotExtent = new int[alExtents];
        this.slotRefs = new int[alExtents];
        Arrays.fill(slotExtent, AlTransaction.FREE);
        this.trNumber = nextTrNumber;
        for (int s = 0; s < alExtents; s++) {
            lru.add(s);
        }
    }

    public int size() {
        return size;
    }

    public int nextTrNumber() {
        return trNumber;
    }

    /** The extents of a write of {@code length} bytes at {@code offset}. */
    public static int firstExtent(long offset) {
        return (int) (offset >>> EXTENT_SHIFT);
    }

    public static int lastExtent(long offset, long length) {
        return (int) ((offset + Math.max(length, 1) - 1) >>> EXTENT_SHIFT);
    }

    public boolean isHot(int extent) {
        return slotOf.containsKey(extent);
    }

    /** The extents now in the active set, ascending. */
    public Set<Integer> hotExtents() {
        return new TreeSet<>(slotOf.keySet());
    }

    /**
     * What a write to extents {@code first..last} needs.
     *
     * @param transaction {@code null} if all extents are hot (the write may go ahead at once); otherwise the
     *     transaction to write and flush first
     * @param evicted extents leaving the set: their bitmap pages must be on disk before the transaction
     * @param busy the set is full of extents with writes in flight; wait for {@link #complete} and retry
     */
    public record Begin(AlTransaction transaction, List<Integer> evicted, boolean busy) {
    }

    /**
     * Plans bringing {@code first..last} into the active set and takes a reference on each of them, so they
     * cannot be evicted while the write is in flight. With a transaction, the references hold only after
     * {@link #commit}.
     */
    public Begin begin(int first, int last) {
        if (last < first || last - first >= AlTransaction.UPDATES) {
            throw new IllegalArgumentException("a write may span at most " + AlTransaction.UPDATES + " extents, not "
                    + first + ".." + last);
        }
        List<Integer> missing = new ArrayList<>();
        for (int e = first; e <= last; e++) {
            if (!slotOf.containsKey(e)) {
                missing.add(e);
            }
        }
        if (missing.isEmpty()) {
            for (int e = first; e <= last; e++) {
                take(e);
            }
            return new Begin(null, List.of(), false);
        }
        int[] slots = new int[missing.size()];
        int[] extents = new int[missing.size()];
        List<Integer> evicted = new ArrayList<>();
        int i = 0;
        for (int slot : lru) {
            if (i == missing.size()) {
                break;
            }
            int old = slotExtent[slot];
            if (slotRefs[slot] > 0 || (old >= first && old <= last)) {
                continue;
            }
            slots[i] = slot;
            extents[i] = missing.get(i);
            if (old != AlTransaction.FREE) {
                evicted.add(old);
            }
            i++;
        }
        if (i < missing.size()) {
            return new Begin(null, List.of(), true);
        }
        int[] context = new int[AlTransaction.CONTEXT];
        for (int c = 0; c < AlTransaction.CONTEXT; c++) {
            int slot = trCycle + c;
            context[c] = slot < size ? slotExtent[slot] : AlTransaction.FREE;
        }
        AlTransaction tr = new AlTransaction(trNumber, AlTransaction.TYPE_UPDATE, slots, extents, size, trCycle, context);
        return new Begin(tr, List.copyOf(evicted), false);
    }

    /** The transaction from {@link #begin} is durable: apply it and take the write's references. */
    public void commit(AlTransaction tr, int first, int last) {
        if (tr.trNumber() != trNumber) {
            throw new IllegalStateException("AL transaction " + tr.trNumber() + " committed, expected " + trNumber);
        }
        for (int u = 0; u < tr.updateSlots().length; u++) {
            int slot = tr.updateSlots()[u];
            int old = slotExtent[slot];
            if (old != AlTransaction.FREE) {
                slotOf.remove(old);
            }
            slotExtent[slot] = tr.updateExtents()[u];
            slotOf.put(tr.updateExtents()[u], slot);
        }
        trNumber++;
        trCycle += AlTransaction.CONTEXT;
        if (trCycle >= size) {
            trCycle = 0;
        }
        for (int e = first; e <= last; e++) {
            take(e);
        }
    }

    /** A transaction that changes nothing and only carries context (used to initialise the ring at attach). */
    public AlTransaction contextOnly() {
        int[] context = new int[AlTransaction.CONTEXT];
        for (int c = 0; c < AlTransaction.CONTEXT; c++) {
            int slot = trCycle + c;
            context[c] = slot < size ? slotExtent[slot] : AlTransaction.FREE;
        }
        return new AlTransaction(trNumber, AlTransaction.TYPE_UPDATE, new int[0], new int[0], size, trCycle, context);
    }

    /** The write to {@code first..last} completed: drop its references. */
    public void complete(int first, int last) {
        for (int e = first; e <= last; e++) {
            Integer slot = slotOf.get(e);
            if (slot == null || slotRefs[slot] == 0) {
                throw new IllegalStateException("extent " + e + " completed but was not begun");
            }
            slotRefs[slot]--;
        }
    }

    private void take(int extent) {
        int slot = slotOf.get(extent);
        slotRefs[slot]++;
        lru.remove(slot);
        lru.add(slot);
    }

    // ---------------------------------------------------------------------------------------------
    // The on-disk ring and the replay after a crash (drbdmeta apply-al, replay_al_84)

    /** The ring block (0-based, in 4 KiB units from al_offset) that transaction index {@code t} goes to. */
    public static int ringBlock(long t, int stripes, int stripeSize4k) {
        int n = stripes * stripeSize4k;
        int i = (int) Long.remainderUnsigned(t, n);
        return (i % stripes) * stripeSize4k + i / stripes;
    }

    /** The outcome of reading the ring. */
    public record Replay(int validBlocks, int updateTransactions, int lastTrNumber, Set<Integer> hotExtents,
            String problem) {
        /** Usable: a valid ring (initialised, or with update transactions). */
        public boolean usable() {
            return problem == null;
        }
    }

    /**
     * Reconstructs the active set at the newest transaction from the ring blocks, given in transaction-index
     * order (block {@link #ringBlock}(i) as element i): context first, then updates, from the oldest to the
     * newest valid update transaction, exactly as drbdmeta's {@code replay_al_84}. Invalid blocks (null) are
     * skipped; at most one is expected, from a write torn by the crash.
     */
    public static Replay replay(List<AlTransaction> ring) {
        int n = ring.size();
        int valid = 0;
        int updates = 0;
        int oldest = -1;
        int newest = -1;
        for (int b = 0; b < n; b++) {
            AlTransaction t = ring.get(b);
            if (t == null) {
                continue;
            }
            valid++;
            if (t.type() == AlTransaction.TYPE_INITIALIZED) {
                continue;
            }
            updates++;
            if (oldest < 0) {
                oldest = newest = b;
                continue;
            }
            if (t.trNumber() - ring.get(oldest).trNumber() < 0) {
                oldest = b;
            }
            if (t.trNumber() - ring.get(newest).trNumber() > 0) {
                newest = b;
            }
        }
        if (valid == 0) {
            return new Replay(0, 0, 0, Set.of(), "No usable activity log found (no valid transaction block)");
        }
        if (updates == 0) {
            boolean fine = valid == n || (ring.get(0) == null && valid == n - 1);
            return new Replay(valid, 0, 0, Set.of(), fine ? null
                    : "No valid AL update transaction found, and " + (n - valid) + " corrupt blocks");
        }
        Map<Integer, Integer> slots = new HashMap<>();
        int end = newest < oldest ? newest + n : newest;
        for (int b = oldest; b <= end; b++) {
            AlTransaction t = ring.get(b % n);
            if (t == null || t.type() == AlTransaction.TYPE_INITIALIZED) {
                continue;
            }
            for (int i = 0; i < AlTransaction.CONTEXT; i++) {
                int slot = t.contextStartSlot() + i;
                if (t.context()[i] == AlTransaction.FREE && slot >= t.contextSize()) {
                    continue;
                }
                if (slot < AlTransaction.MAX_EXTENTS) {
                    slots.put(slot, t.context()[i]);
                }
            }
            for (int i = 0; i < t.updateSlots().length; i++) {
                if (t.updateSlots()[i] < AlTransaction.MAX_EXTENTS) {
                    slots.put(t.updateSlots()[i], t.updateExtents()[i]);
                }
            }
        }
        Set<Integer> hot = new TreeSet<>();
        for (int extent : slots.values()) {
            if (extent != AlTransaction.FREE) {
                hot.add(extent);
            }
        }
        return new Replay(valid, updates, ring.get(newest).trNumber(), hot, null);
    }

    /**
     * Marks the replayed extents out of sync ({@code apply_al}): all bits of each extent, as far as the bitmap
     * reaches. Returns the newly set bits ("Marked additional N KB as out-of-sync based on AL").
     */
    public static long apply(Set<Integer> extents, Bitmap bitmap) {
        long added = 0;
        for (int e : extents) {
            long from = (e & 0xffffffffL) * BITS_PER_EXTENT;
            if (from >= bitmap.bits()) {
                continue;
            }
            added += bitmap.set(from, Math.min(bitmap.bits(), from + BITS_PER_EXTENT));
        }
        return added;
    }
}
