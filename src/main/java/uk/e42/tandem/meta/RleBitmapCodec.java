package uk.e42.tandem.meta;

import java.io.IOException;
import java.util.Arrays;

/**
 * DRBD's compressed bitmap encoding ({@code use-rle}, P_COMPRESSED_BITMAP with encoding RLE_VLI_Bits):
 * the bitmap from a cursor is cut into maximal alternating runs of clear and set bits, and each run
 * length is written as a variable-length integer into an LSB-first bit stream.
 *
 * <p>The first byte of a chunk ("encoding") holds the code 2 in its low nibble, the number of unused
 * pad bits at the end of the last code byte in bits 4-6, and in bit 7 whether the first run is of set
 * bits. The VLI code table ({@code drbd_vli.h}) has ten levels; a level's code word is
 * {@code ((value - first) << prefixBits) | prefix}. Worked example: runs 10 clear, 3 set, 51 clear
 * encode to bytes {@code 97 7c 02}, encoding byte {@code 0x02}.
 */
public final class RleBitmapCodec {
    /** The only encoding DRBD defines for P_COMPRESSED_BITMAP. */
    public static final int RLE_VLI_BITS = 2;

    private static final long[] FIRST = {1, 3, 5, 9, 17, 49, 305, 8497, 2105649, 17181974833L};
    private static final int[] PREFIX_BITS = {1, 2, 3, 4, 5, 6, 8, 8, 8, 8};
    private static final int[] PREFIX = {0x00, 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xbf, 0xff};
    private static final int[] DATA_BITS = {1, 1, 2, 3, 5, 8, 13, 21, 34, 56};
    /** The longest run one code word can carry: 2^56 + 17181974832. */
    public static final long MAX_RUN = FIRST[9] + (1L << 56) - 1;

    private RleBitmapCodec() {
    }

    /** A VLI code word: {@code width} bits of {@code bits}, LSB first. */
    public record CodeWord(long bits, int width) {
    }

    public static CodeWord encodeRun(long run) {
        if (run < 1 || run > MAX_RUN) {
            throw new IllegalArgumentException("run length " + run + " cannot be VLI-encoded (1.." + MAX_RUN + ")");
        }
        for (int level = 0; level < FIRST.length; level++) {
            if (level == FIRST.length - 1 || run < FIRST[level + 1]) {
                long data = run - FIRST[level];
                return new CodeWord((data << PREFIX_BITS[level]) | PREFIX[level], PREFIX_BITS[level] + DATA_BITS[level]);
            }
        }
        throw new AssertionError("unreachable");
    }

    /** Decodes the code word at the low end of {@code lookAhead}; {@code null} if no level matches. */
    public static CodeWord decodeRun(long lookAhead) {
        for (int level = 0; level < FIRST.length; level++) {
            long prefixMask = (1L << PREFIX_BITS[level]) - 1;
            if ((lookAhead & prefixMask) == PREFIX[level]) {
                long dataMask = DATA_BITS[level] == 64 ? -1L : (1L << DATA_BITS[level]) - 1;
                long data = (lookAhead >>> PREFIX_BITS[level]) & dataMask;
                return new CodeWord(FIRST[level] + data, PREFIX_BITS[level] + DATA_BITS[level]);
            }
        }
        return null;
    }

    /** One P_COMPRESSED_BITMAP payload: the encoding byte and the code bytes. */
    public record RleChunk(int encoding, byte[] code) {
        public boolean firstRunSet() {
            return (encoding & 0x80) != 0;
        }

        public int padBits() {
            return (encoding >> 4) & 7;
        }

        /** Payload size on the wire: encoding byte plus code bytes. */
        public int payloadBytes() {
            return 1 + code.length;
        }
    }

    /**
     * What {@link #encode} produced: the chunk, where the cursor is after it, and how many bitmap bits
     * it covers. {@link #worthIt()} is DRBD's test: RLE only pays when it covers at least 8 bits per code byte.
     */
    public record Encoded(RleChunk chunk, long endBit, long plainBits) {
        public boolean worthIt() {
            return plainBits >= (long) chunk.code().length * 8;
        }
    }

    /**
     * Encodes runs from {@code startBit} into at most {@code maxCodeBytes} code bytes
     * ({@code fill_bitmap_rle_bits}); stops at the end of the bitmap or before the first code word that
     * does not fit. Returns {@code null} when {@code startBit} is already at the end.
     */
    public static Encoded encode(Bitmap bitmap, long startBit, int maxCodeBytes) {
        long end = bitmap.bits();
        if (startBit >= end) {
            return null;
        }
        BitWriter out = new BitWriter(maxCodeBytes);
        long cursor = startBit;
        boolean firstSet = bitmap.get(startBit);
        boolean set = firstSet;
        while (cursor < end) {
            long next = set ? bitmap.nextClearBit(cursor) : bitmap.nextSetBit(cursor);
            if (next < 0 || next > end) {
                next = end;
            }
            CodeWord word = encodeRun(next - cursor);
            if (!out.put(word)) {
                break;
            }
            cursor = next;
            set = !set;
        }
        int pad = (int) ((8 - (out.bitLength() & 7)) & 7);
        int encoding = RLE_VLI_BITS | (pad << 4) | (firstSet ? 0x80 : 0);
        return new Encoded(new RleChunk(encoding, out.bytes()), cursor, cursor - startBit);
    }

    /**
     * OR-merges a chunk into {@code target} from {@code startBit} ({@code recv_bm_rle_bits}): every run of
     * set bits is set, nothing is ever cleared. Returns the cursor after the chunk.
     *
     * @throws IOException (as a protocol error) for an unknown encoding, an invalid code word, a code word
     *     cut off by the end of the chunk, or runs beyond the end of the bitmap
     */
    public static long decode(RleChunk chunk, Bitmap target, long startBit) throws IOException {
        if ((chunk.encoding() & 0x0f) != RLE_VLI_BITS) {
            throw new IOException("compressed bitmap chunk: unknown encoding " + (chunk.encoding() & 0x0f)
                    + " (only RLE_VLI_Bits = 2 exists)");
        }
        long totalBits = (long) chunk.code().length * 8 - chunk.padBits();
        if (totalBits < 0) {
            throw new IOException("compressed bitmap chunk: " + chunk.padBits() + " pad bits in "
                    + chunk.code().length + " code bytes");
        }
        BitReader in = new BitReader(chunk.code(), totalBits);
        boolean set = chunk.firstRunSet();
        long cursor = startBit;
        while (in.remaining() > 0) {
            CodeWord run = decodeRun(in.peek64());
            if (run == null) {
                throw new IOException("compressed bitmap chunk: invalid VLI code word at bit " + in.position());
            }
            if (run.width() > in.remaining()) {
                throw new IOException("compressed bitmap chunk: code word of " + run.width() + " bits at bit "
                        + in.position() + " runs past the " + totalBits + " code bits");
            }
            long len = run.bits();
            if (len > target.bits() - cursor) {
                throw new IOException("compressed bitmap chunk: run of " + len + " bits at bit " + cursor
                        + " overflows the bitmap of " + target.bits() + " bits");
            }
            if (set) {
                target.set(cursor, cursor + len);
            }
            cursor += len;
            in.skip(run.width());
            set = !set;
        }
        return cursor;
    }

    /** LSB-first bit stream into a bounded byte array. */
    static final class BitWriter {
        private final byte[] buffer;
        private long bits;

        BitWriter(int capacityBytes) {
            buffer = new byte[capacityBytes];
        }

        /** Appends the code word, or returns false (and appends nothing) if it does not fit. */
        boolean put(CodeWord word) {
            if (bits + word.width() > buffer.length * 8L) {
                return false;
            }
            int shift = (int) (bits & 7);
            int at = (int) (bits >>> 3);
            long value = word.width() == 64 ? word.bits() : word.bits() & ((1L << word.width()) - 1);
            for (int i = 0; i * 8 - shift < word.width(); i++) {
                int s = i * 8 - shift;
                long part = s < 0 ? value << -s : value >>> s;
                buffer[at + i] |= (byte) part;
            }
            bits += word.width();
            return true;
        }

        long bitLength() {
            return bits;
        }

        byte[] bytes() {
            return Arrays.copyOf(buffer, (int) ((bits + 7) >>> 3));
        }
    }

    /** LSB-first bit stream reader with a 64-bit look-ahead. */
    static final class BitReader {
        private final byte[] buffer;
        private final long total;
        private long position;

        BitReader(byte[] buffer, long totalBits) {
            this.buffer = buffer;
            this.total = totalBits;
        }

        long remaining() {
            return total - position;
        }

        long position() {
            return position;
        }

        /** The next up to 64 bits, zero beyond the end of the stream. */
        long peek64() {
            int n = (int) Math.min(64, remaining());
            int at = (int) (position >>> 3);
            int shift = (int) (position & 7);
            long value = 0;
            for (int i = 0; i < 9 && at + i < buffer.length; i++) {
                long b = buffer[at + i] & 0xffL;
                int s = i * 8 - shift;
                value |= s < 0 ? b >>> -s : s < 64 ? b << s : 0;
            }
            if (n < 64) {
                value &= (1L << n) - 1;
            }
            return value;
        }

        void skip(int n) {
            position += n;
        }
    }
}
