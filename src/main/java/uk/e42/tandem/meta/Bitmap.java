package uk.e42.tandem.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;

/**
 * DRBD's out-of-sync bitmap: one bit per 4 KiB block of the volume, bit n = block n, stored as
 * little-endian 64-bit words (bit n is bit n%8 of byte n/8) both on disk and in P_BITMAP packets.
 *
 * <p>Kept in 4 KiB pages, the unit in which it is persisted; a page never written to costs nothing
 * (so a bitmap for many TiB of mostly clean data is cheap), and pages changed since they were last
 * persisted are marked dirty. The number of set bits is kept exact on every change. Bits beyond
 * {@link #bits()} are always 0.
 *
 * <p>Not thread-safe: the resource's single owner (its executor) changes and persists it.
 */
public final class Bitmap {
    public static final int BLOCK_SHIFT = 12;
    public static final int PAGE_BYTES = 4096;
    public static final int PAGE_BITS = PAGE_BYTES * 8;
    static final int WORDS_PER_PAGE = PAGE_BYTES / 8;
    /** Largest supported: 2^40 bits = 4 EiB of data, far beyond any v08 bitmap area. */
    static final long MAX_BITS = 1L << 40;

    private long bits;
    /** The volume size the bitmap tracks: its last block may be shorter than 4 KiB. */
    private long volumeBytes;
    private long[][] pages;
    private final BitSet dirty = new BitSet();
    private long setBits;

    public Bitmap(long bits) {
        this(bits, bits << BLOCK_SHIFT);
    }

    private Bitmap(long bits, long volumeBytes) {
        if (bits < 0 || bits > MAX_BITS) {
            throw new IllegalArgumentException("a bitmap of " + bits + " bits is out of range 0.." + MAX_BITS);
        }
        this.bits = bits;
        this.volumeBytes = volumeBytes;
        long pageCount = (bits + PAGE_BITS - 1) / PAGE_BITS;
        this.pages = new long[(int) pageCount][];
    }

    /** The bitmap for a volume of {@code bytes}: one bit per started 4 KiB block. */
    public static Bitmap forBytes(long bytes) {
        return new Bitmap((bytes + (1 << BLOCK_SHIFT) - 1) >>> BLOCK_SHIFT, bytes);
    }

    public long bits() {
        return bits;
    }

    /** The volume size this bitmap tracks, in bytes. */
    public long volumeBytes() {
        return volumeBytes;
    }

    /**
     * This bitmap for a volume of {@code bytes} (DRBD's {@code drbd_bm_resize}), as a new bitmap: the
     * bits of the blocks both sizes share are kept, bits beyond the new end are dropped, and the blocks
     * only the new size has are set when {@code setNewBits} (a grown area is out of sync until the resync
     * has copied it) or clear otherwise ({@code resize --assume-clean}). Every page of the result is
     * dirty: the bitmap moves or grows on disk as a whole. This bitmap stays as it is, so a resize that
     * fails before its superblock is durable keeps the old one; {@link #adopt} takes the result over.
     * The two share the pages neither changes until then: change neither in between.
     */
    public Bitmap resized(long bytes, boolean setNewBits) {
        Bitmap next = forBytes(bytes);
        int shared = Math.min(pages.length, next.pages.length);
        System.arraycopy(pages, 0, next.pages, 0, shared);
        // The last shared page holds the old or the new end, the only shared page the result changes.
        if (shared > 0 && next.pages[shared - 1] != null) {
            next.pages[shared - 1] = next.pages[shared - 1].clone();
            long firstDropped = next.bits;
            for (int w = 0; w < WORDS_PER_PAGE; w++) {
                long bit = ((long) (shared - 1) * WORDS_PER_PAGE + w) << 6;
                if (bit >= firstDropped) {
                    next.pages[shared - 1][w] = 0;
                } else if (bit + 64 > firstDropped) {
                    next.pages[shared - 1][w] &= mask(bit, firstDropped);
                }
            }
        }
        for (long[] page : next.pages) {
            if (page != null) {
                for (long word : page) {
                    next.setBits += Long.bitCount(word);
                }
            }
        }
        if (setNewBits && bytes > volumeBytes) {
            // The old last block, if it was short, gains new bytes: it is part of the new area.
            next.set((volumeBytes & ((1 << BLOCK_SHIFT) - 1)) != 0 ? bits - 1 : bits, next.bits);
        }
        next.markAllDirty();
        return next;
    }

    /** Becomes {@code resized}, a result of {@link #resized} on this bitmap, for those who hold this one. */
    public void adopt(Bitmap resized) {
        bits = resized.bits;
        volumeBytes = resized.volumeBytes;
        pages = resized.pages;
        setBits = resized.setBits;
        dirty.clear();
        dirty.or(resized.dirty);
    }

    /** Number of 64-bit words that carry bits. */
    public long words() {
        return (bits + 63) >>> 6;
    }

    public int pageCount() {
        return pages.length;
    }

    /** The number of set bits (out-of-sync blocks), always exact. */
    public long cardinality() {
        return setBits;
    }

    public boolean get(long bit) {
        checkBit(bit);
        long[] page = pages[(int) (bit / PAGE_BITS)];
        return page != null && (page[(int) ((bit >>> 6) % WORDS_PER_PAGE)] & (1L << bit)) != 0;
    }

    /** Sets bits {@code [from, to)}; returns how many were clear before. */
    public long set(long from, long to) {
        return change(from, to, true);
    }

    /** Clears bits {@code [from, to)}; returns how many were set before. */
    public long clear(long from, long to) {
        return change(from, to, false);
    }

    public void setAll() {
        set(0, bits);
    }

    public void clearAll() {
        clear(0, bits);
    }

    /**
     * A write of {@code length} bytes at {@code offset} went to this node only: every 4 KiB block it
     * touches is out of sync ({@code drbd_set_out_of_sync}). Returns the newly set bits.
     */
    public long markOutOfSync(long offset, long length) {
        if (length <= 0) {
            return 0;
        }
        return set(offset >>> BLOCK_SHIFT, Math.min(bits, ((offset + length - 1) >>> BLOCK_SHIFT) + 1));
    }

    /**
     * {@code length} bytes at {@code offset} are now identical on both nodes: only blocks covered
     * completely are in sync ({@code drbd_set_in_sync}); a block written partly stays out of sync.
     */
    public long markInSync(long offset, long length) {
        long first = (offset + (1 << BLOCK_SHIFT) - 1) >>> BLOCK_SHIFT;
        long end = (offset + length) >>> BLOCK_SHIFT;
        if (offset + length >= volumeBytes) {
            // The last block of a device whose size is not a multiple of 4 KiB ends at the device end.
            end = bits;
        }
        return first < end ? clear(first, end) : 0;
    }

    private long change(long from, long to, boolean value) {
        if (from < 0 || to > bits || from > to) {
            throw new IndexOutOfBoundsException("bits [" + from + ", " + to + ") outside the bitmap of " + bits
                    + " bits");
        }
        long changed = 0;
        long bit = from;
        while (bit < to) {
            long wordIndex = bit >>> 6;
            long wordEnd = Math.min(to, (wordIndex + 1) << 6);
            long mask = mask(bit, wordEnd);
            int pageIndex = (int) (wordIndex / WORDS_PER_PAGE);
            long[] page = pages[pageIndex];
            if (page == null) {
                if (!value) {
                    bit = Math.min(to, (long) (pageIndex + 1) * PAGE_BITS);
                    continue;
                }
                page = pages[pageIndex] = new long[WORDS_PER_PAGE];
            }
            int w = (int) (wordIndex % WORDS_PER_PAGE);
            long old = page[w];
            long now = value ? old | mask : old & ~mask;
            if (now != old) {
                page[w] = now;
                long delta = Long.bitCount(now) - Long.bitCount(old);
                setBits += delta;
                changed += Math.abs(delta);
                dirty.set(pageIndex);
            }
            bit = wordEnd;
        }
        return changed;
    }

    private static long mask(long from, long to) {
        int lo = (int) (from & 63);
        int n = (int) (to - from);
        long m = n == 64 ? -1L : (1L << n) - 1;
        return m << lo;
    }

    /** The first set bit at or after {@code from}, or -1. */
    public long nextSetBit(long from) {
        if (from < 0) {
            throw new IndexOutOfBoundsException("bit " + from);
        }
        long wordIndex = from >>> 6;
        long word = from < bits ? word(wordIndex) & (-1L << from) : 0;
        long words = words();
        while (true) {
            if (word != 0) {
                long bit = (wordIndex << 6) + Long.numberOfTrailingZeros(word);
                return bit < bits ? bit : -1;
            }
            wordIndex++;
            if (wordIndex >= words) {
                return -1;
            }
            if (pages[(int) (wordIndex / WORDS_PER_PAGE)] == null) {
                wordIndex = (wordIndex / WORDS_PER_PAGE + 1) * WORDS_PER_PAGE;
                if (wordIndex >= words) {
                    return -1;
                }
            }
            word = word(wordIndex);
        }
    }

    /** The first clear bit at or after {@code from}, or {@link #bits()} when there is none. */
    public long nextClearBit(long from) {
        if (from < 0) {
            throw new IndexOutOfBoundsException("bit " + from);
        }
        if (from >= bits) {
            return bits;
        }
        long wordIndex = from >>> 6;
        long word = ~word(wordIndex) & (-1L << from);
        long words = words();
        while (word == 0) {
            wordIndex++;
            if (wordIndex >= words) {
                return bits;
            }
            word = ~word(wordIndex);
        }
        return Math.min(bits, (wordIndex << 6) + Long.numberOfTrailingZeros(word));
    }

    /** Word {@code index} (bits 64·index … 64·index+63). */
    public long word(long index) {
        long[] page = pages[(int) (index / WORDS_PER_PAGE)];
        return page == null ? 0 : page[(int) (index % WORDS_PER_PAGE)];
    }

    /**
     * OR-merges words received from the peer (a plain P_BITMAP chunk) at word {@code wordOffset};
     * bits beyond the end are ignored. Returns the newly set bits.
     */
    public long mergeWords(long wordOffset, long[] values) {
        long added = 0;
        long words = words();
        for (int i = 0; i < values.length && wordOffset + i < words; i++) {
            long wordIndex = wordOffset + i;
            long bit = wordIndex << 6;
            long v = bit + 64 > bits ? values[i] & mask(bit, bits) : values[i];
            if (v == 0) {
                continue;
            }
            int pageIndex = (int) (wordIndex / WORDS_PER_PAGE);
            if (pages[pageIndex] == null) {
                pages[pageIndex] = new long[WORDS_PER_PAGE];
            }
            long[] page = pages[pageIndex];
            int w = (int) (wordIndex % WORDS_PER_PAGE);
            long now = page[w] | v;
            int delta = Long.bitCount(now) - Long.bitCount(page[w]);
            if (delta != 0) {
                page[w] = now;
                setBits += delta;
                added += delta;
                dirty.set(pageIndex);
            }
        }
        return added;
    }

    /** Page indexes changed since they were last persisted, in order. */
    public int[] dirtyPages() {
        return dirty.stream().toArray();
    }

    public boolean isDirty(int page) {
        return dirty.get(page);
    }

    /** Marks every page dirty, so the next write-out persists the whole bitmap. */
    public void markAllDirty() {
        dirty.set(0, pages.length);
    }

    public void markClean(int page) {
        dirty.clear(page);
    }

    /** Page {@code index} as its 4096 on-disk bytes (little-endian words). */
    public ByteBuffer pageBytes(int index) {
        ByteBuffer b = ByteBuffer.allocate(PAGE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long[] page = pages[index];
        if (page != null) {
            b.asLongBuffer().put(page);
        }
        return b;
    }

    /**
     * Loads page {@code index} from 4096 on-disk bytes. Bits beyond the end of the bitmap are dropped
     * (they must be 0); the page is clean afterwards. Returns the number of set bits it holds.
     */
    public long loadPage(int index, ByteBuffer bytes) {
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        long[] old = pages[index];
        long[] page = new long[WORDS_PER_PAGE];
        long firstWord = (long) index * WORDS_PER_PAGE;
        long count = 0;
        boolean any = false;
        for (int w = 0; w < WORDS_PER_PAGE; w++) {
            long v = b.getLong(w * 8);
            long bit = (firstWord + w) << 6;
            if (bit >= bits) {
                v = 0;
            } else if (bit + 64 > bits) {
                v &= mask(bit, bits);
            }
            page[w] = v;
            count += Long.bitCount(v);
            any |= v != 0;
        }
        if (old != null) {
            for (long v : old) {
                setBits -= Long.bitCount(v);
            }
        }
        pages[index] = any ? page : null;
        setBits += count;
        dirty.clear(index);
        return count;
    }

    private void checkBit(long bit) {
        if (bit < 0 || bit >= bits) {
            throw new IndexOutOfBoundsException("bit " + bit + " outside the bitmap of " + bits + " bits");
        }
    }

    @Override
    public String toString() {
        return "Bitmap[" + bits + " bits, " + setBits + " set]";
    }
}
