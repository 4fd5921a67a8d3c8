package uk.e42.tandem.meta;

import java.io.IOException;

/**
 * The bitmap exchange of the sync handshake, as DRBD streams it ({@code send_bitmap_rle_or_plain},
 * {@code receive_bitmap}): a sequence of chunks that each fit one packet. For each chunk the sender
 * tries RLE ({@code use-rle}); if the code would cover fewer bits than eight per code byte it sends a
 * plain chunk of little-endian words instead. Chunks carry no offsets: sender and receiver keep the
 * same cursor (a plain chunk after an RLE chunk starts at the cursor rounded down to a word; the
 * overlap is harmless because merging is OR).
 */
public final class BitmapTransfer {
    /** DRBD_SOCKET_BUFFER_SIZE: every bitmap packet, header included, fits in it. */
    public static final int DRBD_PACKET_BYTES = 4096;

    private BitmapTransfer() {
    }

    /** One packet's worth of bitmap. */
    public sealed interface Chunk {
        /** P_BITMAP: plain little-endian 64-bit words. */
        record Plain(long[] words) implements Chunk {
        }

        /** P_COMPRESSED_BITMAP. */
        record Compressed(RleBitmapCodec.RleChunk rle) implements Chunk {
        }
    }

    /**
     * Bytes and packets sent or received, split as DRBD's "bitmap stats" log line.
     *
     * @param headerBytes the packet header size these counts include per packet
     */
    public record Stats(long plainBytes, long plainPackets, long rleBytes, long rlePackets, long words,
            int headerBytes, int packetBytes) {
        public long totalBytes() {
            return plainBytes + rleBytes;
        }

        /** What a plain-only transfer would have taken (DRBD's formula, quirks included). */
        public long plainEquivalentBytes() {
            long dataSize = packetBytes - headerBytes;
            return headerBytes * ((words + dataSize - 1) / dataSize + 1) + words * 8;
        }

        /** {@code send|receive bitmap stats [Bytes(packets)]: plain P(p), RLE R(r), total T; compression: x.y%}. */
        public String logLine(String direction) {
            long plain = plainEquivalentBytes();
            long total = totalBytes();
            long r = plain == 0 ? 1000 : Math.min(1000, 1000 * total / plain);
            r = total >= plain ? 0 : 1000 - r;
            return direction + " bitmap stats [Bytes(packets)]: plain " + plainBytes + "(" + plainPackets + "), RLE "
                    + rleBytes + "(" + rlePackets + "), total " + total + "; compression: " + r / 10 + "." + r % 10
                    + "%";
        }
    }

    private abstract static class Cursor {
        final Bitmap bitmap;
        final int headerBytes;
        final int packetBytes;
        long bitOffset;
        long wordOffset;
        long plainBytes;
        long plainPackets;
        long rleBytes;
        long rlePackets;

        Cursor(Bitmap bitmap, int packetBytes, int headerBytes) {
            if (packetBytes - headerBytes < 16) {
                throw new IllegalArgumentException("packets of " + packetBytes + " bytes with " + headerBytes
                        + " header bytes leave no room for bitmap data");
            }
            this.bitmap = bitmap;
            this.packetBytes = packetBytes;
            this.headerBytes = headerBytes;
        }

        int maxPlainWords() {
            return (packetBytes - headerBytes) / 8;
        }

        int plainWordsNow() {
            return (int) Math.min(maxPlainWords(), bitmap.words() - wordOffset);
        }

        public boolean done() {
            return bitOffset >= bitmap.bits();
        }

        public Stats stats() {
            return new Stats(plainBytes, plainPackets, rleBytes, rlePackets, bitmap.words(), headerBytes, packetBytes);
        }
    }

    /** Produces the chunks for one bitmap, in order. */
    public static final class Sender extends Cursor {
        private final boolean useRle;
        private boolean finished;

        /**
         * @param packetBytes the bound for a packet, header included (DRBD: 4096)
         * @param headerBytes the packet header (DRBD 8.4: 8, or 16 with protocol ≥ 100)
         */
        public Sender(Bitmap bitmap, int packetBytes, int headerBytes, boolean useRle) {
            super(bitmap, packetBytes, headerBytes);
            this.useRle = useRle;
        }

        /**
         * The next chunk, or {@code null} when the transfer is over. As in DRBD, the transfer ends with an RLE
         * chunk that reaches the end of the bitmap or with an empty plain chunk.
         */
        public Chunk next() {
            if (finished) {
                return null;
            }
            if (useRle) {
                RleBitmapCodec.Encoded e = RleBitmapCodec.encode(bitmap, bitOffset, packetBytes - headerBytes - 1);
                if (e != null && e.worthIt()) {
                    bitOffset = e.endBit();
                    wordOffset = bitOffset >>> 6;
                    rlePackets++;
                    rleBytes += headerBytes + e.chunk().payloadBytes();
                    finished = done();
                    return new Chunk.Compressed(e.chunk());
                }
            }
            int n = plainWordsNow();
            long[] words = new long[Math.max(n, 0)];
            for (int i = 0; i < words.length; i++) {
                words[i] = bitmap.word(wordOffset + i);
            }
            wordOffset += words.length;
            bitOffset = Math.min(bitmap.bits(), wordOffset << 6);
            plainPackets++;
            plainBytes += headerBytes + words.length * 8L;
            finished = words.length == 0;
            return new Chunk.Plain(words);
        }
    }

    /** Merges the chunks of the peer's bitmap into the own one (OR). */
    public static final class Receiver extends Cursor {
        public Receiver(Bitmap bitmap, int packetBytes, int headerBytes) {
            super(bitmap, packetBytes, headerBytes);
        }

        /**
         * Applies one chunk; returns true when the transfer is over (an RLE chunk reached the end of the
         * bitmap, or an empty plain chunk arrived).
         *
         * @throws IOException when the chunk does not fit where the cursor is: the peer is dropped
         */
        public boolean accept(Chunk chunk) throws IOException {
            switch (chunk) {
                case Chunk.Plain p -> {
                    int want = plainWordsNow();
                    if (p.words().length != Math.max(want, 0)) {
                        throw new IOException("plain bitmap chunk of " + p.words().length + " words at word "
                                + wordOffset + ", expected " + want);
                    }
                    plainPackets++;
                    plainBytes += headerBytes + p.words().length * 8L;
                    if (p.words().length == 0) {
                        return true;
                    }
                    bitmap.mergeWords(wordOffset, p.words());
                    wordOffset += p.words().length;
                    bitOffset = Math.min(bitmap.bits(), wordOffset << 6);
                    return false;
                }
                case Chunk.Compressed c -> {
                    if (c.rle().payloadBytes() > packetBytes - headerBytes) {
                        throw new IOException("compressed bitmap chunk of " + c.rle().payloadBytes()
                                + " bytes exceeds the packet size");
                    }
                    bitOffset = RleBitmapCodec.decode(c.rle(), bitmap, bitOffset);
                    wordOffset = bitOffset >>> 6;
                    rlePackets++;
                    rleBytes += headerBytes + c.rle().payloadBytes();
                    return done();
                }
            }
        }
    }
}
