package uk.e42.tandem.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class RleBitmapCodecTest {
    private static final int HEADER = 16;

    private static Bitmap fromRuns(long bits, boolean firstSet, long... runs) {
        Bitmap b = new Bitmap(bits);
        long at = 0;
        boolean set = firstSet;
        for (long r : runs) {
            if (set) {
                b.set(at, at + r);
            }
            at += r;
            set = !set;
        }
        return b;
    }

    private static void assertSameBits(Bitmap expected, Bitmap actual) {
        assertEquals(expected.bits(), actual.bits());
        assertEquals(expected.cardinality(), actual.cardinality());
        for (long w = 0; w < expected.words(); w++) {
            if (expected.word(w) != actual.word(w)) {
                throw new AssertionError("word " + w + ": expected " + Long.toHexString(expected.word(w)) + " got "
                        + Long.toHexString(actual.word(w)));
            }
        }
    }

    /** Streams {@code source} through sender and receiver into {@code target}; returns the sender's stats. */
    static BitmapTransfer.Stats transfer(Bitmap source, Bitmap target, int packetBytes, boolean rle)
            throws IOException {
        BitmapTransfer.Sender sender = new BitmapTransfer.Sender(source, packetBytes, HEADER, rle);
        BitmapTransfer.Receiver receiver = new BitmapTransfer.Receiver(target, packetBytes, HEADER);
        boolean done = false;
        BitmapTransfer.Chunk chunk;
        int packets = 0;
        while ((chunk = sender.next()) != null) {
            assertTrue(!done, "no chunk after the receiver finished");
            done = receiver.accept(chunk);
            packets++;
            assertTrue(packets < 10_000_000);
        }
        assertTrue(done, "the receiver saw the end of the transfer");
        assertEquals(sender.stats().totalBytes(), receiver.stats().totalBytes());
        return sender.stats();
    }

    @Test
    void workedExampleFromTheReference() throws IOException {
        Bitmap b = fromRuns(64, false, 10, 3, 51);
        RleBitmapCodec.Encoded e = RleBitmapCodec.encode(b, 0, 100);
        assertNotNull(e);
        assertArrayEquals(new byte[] {(byte) 0x97, 0x7c, 0x02}, e.chunk().code());
        assertEquals(0x02, e.chunk().encoding());
        assertEquals(64, e.endBit());
        Bitmap back = new Bitmap(64);
        assertEquals(64, RleBitmapCodec.decode(e.chunk(), back, 0));
        assertSameBits(b, back);

        Bitmap inverse = fromRuns(64, true, 10, 3, 51);
        assertEquals(0x82, RleBitmapCodec.encode(inverse, 0, 100).chunk().encoding());
    }

    @Test
    void vliLevelBoundaries() {
        long[] firsts = {1, 3, 5, 9, 17, 49, 305, 8497, 2105649, 17181974833L};
        int[] widths = {2, 3, 5, 7, 10, 14, 21, 29, 42, 64};
        for (int i = 0; i < firsts.length; i++) {
            for (long v : new long[] {firsts[i], i + 1 < firsts.length ? firsts[i + 1] - 1 : RleBitmapCodec.MAX_RUN}) {
                RleBitmapCodec.CodeWord w = RleBitmapCodec.encodeRun(v);
                assertEquals(widths[i], w.width(), "width of " + v);
                RleBitmapCodec.CodeWord d = RleBitmapCodec.decodeRun(w.bits());
                assertEquals(v, d.bits());
                assertEquals(widths[i], d.width());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> RleBitmapCodec.encodeRun(0));
    }

    @Property(tries = 500)
    void vliRoundTrip(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long v, @ForAll long noise) {
        long run = v > RleBitmapCodec.MAX_RUN ? v % RleBitmapCodec.MAX_RUN + 1 : v;
        RleBitmapCodec.CodeWord w = RleBitmapCodec.encodeRun(run);
        long lookAhead = w.width() == 64 ? w.bits() : w.bits() | (noise << w.width());
        RleBitmapCodec.CodeWord d = RleBitmapCodec.decodeRun(lookAhead);
        assertEquals(run, d.bits());
        assertEquals(w.width(), d.width());
    }

    @Provide
    Arbitrary<List<Integer>> runs() {
        return Arbitraries.oneOf(Arbitraries.integers().between(1, 8), Arbitraries.integers().between(1, 400),
                Arbitraries.integers().between(1, 100_000)).list().ofMinSize(1).ofMaxSize(300);
    }

    @Property(tries = 300)
    void transferRoundTrip(@ForAll("runs") List<Integer> runs, @ForAll boolean firstSet, @ForAll boolean rle,
            @ForAll @IntRange(min = 40, max = 4096) int packetBytes) throws IOException {
        long bits = runs.stream().mapToLong(Integer::longValue).sum();
        Bitmap source = fromRuns(bits, firstSet, runs.stream().mapToLong(Integer::longValue).toArray());
        Bitmap target = new Bitmap(bits);
        transfer(source, target, packetBytes, rle);
        assertSameBits(source, target);
    }

    @Property(tries = 100)
    void receivingMergesWithOwnBits(@ForAll("runs") List<Integer> runs, @ForAll long seed) throws IOException {
        long bits = runs.stream().mapToLong(Integer::longValue).sum();
        Bitmap source = fromRuns(bits, false, runs.stream().mapToLong(Integer::longValue).toArray());
        Bitmap own = new Bitmap(bits);
        Random r = new Random(seed);
        Bitmap union = new Bitmap(bits);
        for (long w = 0; w < source.words(); w++) {
            union.mergeWords(w, new long[] {source.word(w)});
        }
        for (int i = 0; i < 20; i++) {
            long from = (long) (r.nextDouble() * bits);
            long to = Math.min(bits, from + r.nextInt(500));
            own.set(from, to);
            union.set(from, to);
        }
        transfer(source, own, 4096, true);
        assertSameBits(union, own);
    }

    @Test
    void edgeSizes() throws IOException {
        for (long bits : new long[] {0, 1, 63, 64, 65, 32_767, 32_768, 32_769}) {
            for (boolean set : new boolean[] {false, true}) {
                Bitmap source = new Bitmap(bits);
                if (set) {
                    source.setAll();
                }
                Bitmap target = new Bitmap(bits);
                transfer(source, target, 4096, true);
                assertSameBits(source, target);
            }
        }
    }

    /** 9 TiB of data: more than 2^31 bits, so every bit index is a long. */
    @Test
    void transferOfABitmapBeyondIntIndexes() throws IOException {
        Bitmap source = Bitmap.forBytes(9L << 40);
        assertTrue(source.bits() > Integer.MAX_VALUE);
        long[] starts = {0, 1L << 31, (1L << 31) + 64, source.bits() - 5};
        for (long s : starts) {
            source.set(s, Math.min(source.bits(), s + 3));
        }
        Bitmap target = Bitmap.forBytes(9L << 40);
        BitmapTransfer.Stats stats = transfer(source, target, 4096, true);
        assertEquals(source.cardinality(), target.cardinality());
        for (long bit = source.nextSetBit(0); bit >= 0; bit = source.nextSetBit(bit + 1)) {
            assertTrue(target.get(bit), "bit " + bit);
        }
        assertEquals(1, stats.rlePackets());
        System.out.println("9 TiB, 4 small runs:           " + stats.logLine("send"));
    }

    @Test
    void decoderRejectsBadChunks() {
        Bitmap small = new Bitmap(20);
        byte[] code = RleBitmapCodec.encode(fromRuns(64, false, 10, 3, 51), 0, 10).chunk().code();
        IOException overflow = assertThrows(IOException.class,
                () -> RleBitmapCodec.decode(new RleBitmapCodec.RleChunk(0x82, code), small, 0));
        assertTrue(overflow.getMessage().contains("overflows the bitmap"), overflow.getMessage());
        assertThrows(IOException.class,
                () -> RleBitmapCodec.decode(new RleBitmapCodec.RleChunk(0x03, code), new Bitmap(64), 0));
        IOException cut = assertThrows(IOException.class, () -> RleBitmapCodec.decode(
                new RleBitmapCodec.RleChunk(0x02, new byte[] {(byte) 0xff}), new Bitmap(64), 0));
        assertTrue(cut.getMessage().contains("runs past"), cut.getMessage());
    }

    @Test
    void plainChunkOfTheWrongSizeIsRefused() {
        BitmapTransfer.Receiver r = new BitmapTransfer.Receiver(new Bitmap(1000), 4096, HEADER);
        assertThrows(IOException.class, () -> r.accept(new BitmapTransfer.Chunk.Plain(new long[3])));
    }

    /** The figures the report quotes: bytes on the wire for typical bitmaps of a 64 GiB volume. */
    @Test
    void encodedSizesOnSparseAndDenseBitmaps() throws IOException {
        long bits = (64L << 30) >>> 12;
        Random r = new Random(42);
        List<String> lines = new ArrayList<>();

        Bitmap clean = new Bitmap(bits);
        BitmapTransfer.Stats s = transfer(clean, new Bitmap(bits), 4096, true);
        lines.add("64 GiB, clean:                 " + s.logLine("send"));
        assertTrue(s.totalBytes() < 100, "an empty bitmap is a few bytes");

        Bitmap sparse = new Bitmap(bits);
        for (int i = 0; i < 1000; i++) {
            long at = (long) (r.nextDouble() * (bits - 1024));
            sparse.set(at, at + 1 + r.nextInt(16));
        }
        s = transfer(sparse, new Bitmap(bits), 4096, true);
        lines.add("64 GiB, 1000 small writes:     " + s.logLine("send"));
        assertTrue(s.totalBytes() * 50 < s.plainEquivalentBytes(), "sparse bitmaps compress by far");

        Bitmap extents = new Bitmap(bits);
        for (int i = 0; i < 1237; i++) {
            long extent = (long) (r.nextDouble() * (bits / 1024));
            extents.set(extent * 1024, extent * 1024 + 1024);
        }
        s = transfer(extents, new Bitmap(bits), 4096, true);
        lines.add("64 GiB, 1237 AL extents:       " + s.logLine("send"));

        Bitmap dense = new Bitmap(bits);
        for (long w = 0; w < dense.words(); w++) {
            dense.mergeWords(w, new long[] {r.nextLong()});
        }
        s = transfer(dense, new Bitmap(bits), 4096, true);
        lines.add("64 GiB, random 50% bits:       " + s.logLine("send"));
        assertEquals(0, s.rlePackets(), "random bits are sent plain");

        Bitmap full = new Bitmap(bits);
        full.setAll();
        s = transfer(full, new Bitmap(bits), 4096, true);
        lines.add("64 GiB, all set (full sync):   " + s.logLine("send"));

        BitmapTransfer.Stats plain = transfer(sparse, new Bitmap(bits), 4096, false);
        lines.add("64 GiB, sparse, use-rle no:    " + plain.logLine("send"));
        System.out.println(String.join("\n", lines));
    }
}
