package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BitmapTest {
    record Op(boolean set, int from, int length) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(0, 200_000),
                Arbitraries.integers().between(0, 70_000)).as(Op::new);
        return op.list().ofMaxSize(40);
    }

    @Property(tries = 200)
    void countsStayExactAgainstAReferenceModel(@ForAll @IntRange(min = 1, max = 200_000) int bits,
            @ForAll("ops") List<Op> ops) {
        Bitmap b = new Bitmap(bits);
        BitSet model = new BitSet(bits);
        for (Op op : ops) {
            int from = Math.min(op.from(), bits);
            int to = Math.min(bits, from + op.length());
            long before = model.cardinality();
            long changed;
            if (op.set()) {
                changed = b.set(from, to);
                model.set(from, to);
                assertEquals(model.cardinality() - before, changed);
            } else {
                changed = b.clear(from, to);
                model.clear(from, to);
                assertEquals(before - model.cardinality(), changed);
            }
            assertEquals(model.cardinality(), b.cardinality());
        }
        for (int probe = 0; probe < bits; probe += Math.max(1, bits / 97)) {
            assertEquals(model.get(probe), b.get(probe), "bit " + probe);
            assertEquals(model.nextSetBit(probe), b.nextSetBit(probe), "nextSetBit " + probe);
            assertEquals(Math.min(bits, model.nextClearBit(probe)), b.nextClearBit(probe), "nextClearBit " + probe);
        }
        Bitmap copy = new Bitmap(bits);
        for (int page = 0; page < b.pageCount(); page++) {
            copy.loadPage(page, b.pageBytes(page));
        }
        assertEquals(b.cardinality(), copy.cardinality());
        for (long w = 0; w < b.words(); w++) {
            assertEquals(b.word(w), copy.word(w));
        }
    }

    @Test
    void oneBitBitmap() {
        Bitmap b = Bitmap.forBytes(1);
        assertEquals(1, b.words());
        assertEquals(1, b.pageCount());
        assertEquals(-1, b.nextSetBit(0));
        assertEquals(1, b.markOutOfSync(0, 1));
        assertTrue(b.get(0));
        assertEquals(1, b.cardinality());
        assertEquals(1, b.pageBytes(0).get(0));
        assertEquals(1, b.markInSync(0, 1), "the only block ends at the device end");
        assertEquals(0, b.cardinality());
    }

    @Test
    void deviceSizeNotAMultipleOf4KiB() {
        Bitmap b = Bitmap.forBytes(10_000);
        assertEquals(3, b.bits());
        assertEquals(2, b.markOutOfSync(4095, 2), "a 2-byte write across a block boundary dirties both blocks");
        assertEquals(0, b.markInSync(4096, 100), "a partly written block stays out of sync");
        assertEquals(1, b.markInSync(4096, 4096));
        b.markOutOfSync(9_999, 1);
        assertEquals(1, b.markInSync(8192, 10_000 - 8192), "the short last block is complete at the device end");
        assertThrows(IndexOutOfBoundsException.class, () -> b.set(0, 4));
    }

    @Test
    void pageBytesAreLittleEndianWords() {
        Bitmap b = new Bitmap(100_000);
        b.set(0, 1);
        b.set(65, 66);
        b.set(32_768, 32_770);
        ByteBuffer p0 = b.pageBytes(0);
        assertEquals(0x01, p0.get(0));
        assertEquals(0x02, p0.get(8));
        assertEquals(0x03, b.pageBytes(1).get(0));
        assertTrue(b.isDirty(0) && b.isDirty(1) && !b.isDirty(2));
        assertEquals(List.of(0, 1), Arrays.stream(b.dirtyPages()).boxed().toList());
    }

    @Test
    void loadDropsBitsBeyondTheEnd() {
        Bitmap b = new Bitmap(70);
        byte[] ones = new byte[Bitmap.PAGE_BYTES];
        Arrays.fill(ones, (byte) 0xff);
        assertEquals(70, b.loadPage(0, ByteBuffer.wrap(ones)));
        assertEquals(70, b.cardinality());
        assertEquals(0x3fL, b.word(1));
        assertFalse(b.isDirty(0));
    }

    @Test
    void mergeWordsIsAnOr() {
        Bitmap b = new Bitmap(130);
        b.set(0, 2);
        assertEquals(3, b.mergeWords(0, new long[] {0b111, 0, -1L}));
        assertEquals(5, b.cardinality(), "bits beyond 130 were ignored");
        assertTrue(b.get(128) && b.get(129));
    }

    /** A volume of more than 4 TiB: 2^30+ bits, with pages allocated only where bits are set. */
    @Test
    void moreThanFourTebibytesOfData() {
        long bytes = (5L << 40) + 12_345;
        Bitmap b = Bitmap.forBytes(bytes);
        assertEquals((5L << 28) + 4, b.bits());
        assertTrue(b.bits() > Integer.MAX_VALUE / 2);
        long last = b.bits() - 1;
        b.markOutOfSync(bytes - 1, 1);
        b.set(1L << 30, (1L << 30) + 1024);
        assertEquals(1025, b.cardinality());
        assertEquals(1L << 30, b.nextSetBit(0));
        assertEquals(last, b.nextSetBit((1L << 30) + 1024));
        assertEquals((1L << 30) + 1024, b.nextClearBit(1L << 30));
        assertEquals(b.bits(), b.nextClearBit(last));
        assertEquals(2, b.dirtyPages().length);
        b.clearAll();
        assertEquals(0, b.cardinality());
        assertEquals(-1, b.nextSetBit(0));
    }

    @Test
    void growingKeepsTheOldBitsAndMarksTheNewAreaOutOfSync() {
        Bitmap b = Bitmap.forBytes(100L << 20);
        b.set(5, 9);
        b.set(25_599, 25_600);
        for (int page : b.dirtyPages()) {
            b.markClean(page);
        }
        Bitmap r = b.resized(300L << 20, true);
        assertEquals(76_800, r.bits());
        assertEquals(4 + 1 + 76_800 - 25_600, r.cardinality());
        assertTrue(r.get(5) && r.get(8) && !r.get(9) && !r.get(25_598) && r.get(25_599) && r.get(76_799));
        assertEquals(r.pageCount(), r.dirtyPages().length, "the grown bitmap is written as a whole");
    }

    @Test
    void growingWithAssumeCleanAddsNoBits() {
        Bitmap b = Bitmap.forBytes(1L << 20);
        b.set(3, 4);
        Bitmap r = b.resized(9L << 20, false);
        assertEquals(1, r.cardinality());
        assertEquals(-1, r.nextSetBit(4));
    }

    @Test
    void theShortLastBlockOfTheOldSizeBelongsToTheNewArea() {
        Bitmap b = Bitmap.forBytes(4096 * 10 + 512);
        assertEquals(11, b.bits());
        Bitmap r = b.resized(4096 * 20, true);
        assertEquals(10, r.cardinality(), "block 10 gained bytes; blocks 11..19 are new");
        assertTrue(r.get(10) && !r.get(9));
    }

    @Test
    void shrinkingDropsTheBitsBeyondTheNewEnd() {
        Bitmap b = Bitmap.forBytes(512L << 20);
        b.set(0, 2);
        b.set(100_000, 131_072);
        Bitmap r = b.resized(256L << 20, true);
        assertEquals(65_536, r.bits());
        assertEquals(2, r.cardinality());
        assertEquals(-1, r.nextSetBit(2));
        assertEquals(2, r.pageCount());
        assertTrue(Arrays.stream(r.dirtyPages()).allMatch(p -> p < 2));
    }

    @Test
    void theResizedBitmapLeavesTheOriginalUntilItIsAdopted() {
        Bitmap b = Bitmap.forBytes(3 * 4096 * 1000 + 512);
        b.set(0, 1);
        b.set(1500, 3000);
        for (int page : b.dirtyPages()) {
            b.markClean(page);
        }
        // Both ends lie inside page 0: the one page the two would share is the one both change.
        Bitmap shrunk = b.resized(4096 * 2000, true);
        Bitmap grown = b.resized(4096L * 50_000, true);
        assertEquals(3001, b.bits());
        assertEquals(1 + 1500, b.cardinality());
        assertTrue(b.get(2999) && b.nextSetBit(3000) == -1 && b.dirtyPages().length == 0, "the original is untouched");
        assertEquals(1 + 500, shrunk.cardinality());
        assertEquals(1 + 1500 + 50_000 - 3000, grown.cardinality(), "block 3000 gained bytes");

        b.adopt(shrunk);
        assertEquals(2000, b.bits());
        assertEquals(4096 * 2000, b.volumeBytes());
        assertEquals(501, b.cardinality());
        assertEquals(-1, b.nextSetBit(2000));
        assertEquals(b.pageCount(), b.dirtyPages().length);
        b.clear(0, 2000);
        assertTrue(grown.get(0) && grown.get(1500), "another result of the same original has its own page");
    }
}
