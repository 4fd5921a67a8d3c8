package uk.e42.tandem.device;

import com.google.protobuf.ByteString;
import java.io.IOException;
import uk.e42.tandem.meta.Bitmap;
import uk.e42.tandem.meta.BitmapTransfer;
import uk.e42.tandem.meta.RleBitmapCodec;
import uk.e42.tandem.peer.v1.BitmapChunk;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.PlainWords;
import uk.e42.tandem.peer.v1.RleBits;

/**
 * The bitmap exchange of the sync handshake: the WFBitMapS side sends its bitmap first, the
 * WFBitMapT side merges it (OR) and answers with its own, so both end with the same set of blocks
 * to resync. Chunks are RLE/VLI coded with {@code use-rle} (DRBD's default), plain words otherwise.
 */
final class BitmapExchange {
    /** DRBD 8.4 with protocol 101: 16-byte headers in 4096-byte packets. */
    private static final int HEADER_BYTES = 16;

    private final Bitmap bitmap;
    private final boolean useRle;
    private BitmapTransfer.Receiver receiver;

    BitmapExchange(Bitmap bitmap, boolean useRle) {
        this.bitmap = bitmap;
        this.useRle = useRle;
    }

    /** Queues the whole bitmap; returns the "send bitmap stats" line. */
    String sendAll(PacketSender sender) {
        BitmapTransfer.Sender transfer = new BitmapTransfer.Sender(bitmap, BitmapTransfer.DRBD_PACKET_BYTES,
                HEADER_BYTES, useRle);
        for (BitmapTransfer.Chunk chunk = transfer.next(); chunk != null; chunk = transfer.next()) {
            BitmapChunk.Builder packet = BitmapChunk.newBuilder();
            switch (chunk) {
                case BitmapTransfer.Chunk.Plain plain -> {
                    PlainWords.Builder words = PlainWords.newBuilder();
                    for (long w : plain.words()) {
                        words.addWords(w);
                    }
                    packet.setPlain(words);
                }
                case BitmapTransfer.Chunk.Compressed compressed -> packet.setRle(RleBits.newBuilder()
                        .setFirstRunSet(compressed.rle().firstRunSet()).setPadBits(compressed.rle().padBits())
                        .setCode(ByteString.copyFrom(compressed.rle().code())));
            }
            sender.sendNow(DataPacket.newBuilder().setBitmap(packet).build());
        }
        return transfer.stats().logLine("send");
    }

    /**
     * Merges one chunk of the peer's bitmap.
     *
     * @return the "receive bitmap stats" line when the peer's bitmap is complete, else null
     * @throws IOException when the chunk does not fit: the peer is dropped
     */
    String receive(BitmapChunk chunk) throws IOException {
        if (receiver == null) {
            receiver = new BitmapTransfer.Receiver(bitmap, BitmapTransfer.DRBD_PACKET_BYTES, HEADER_BYTES);
        }
        BitmapTransfer.Chunk decoded = switch (chunk.getEncodingCase()) {
            case PLAIN -> new BitmapTransfer.Chunk.Plain(chunk.getPlain().getWordsList().stream()
                    .mapToLong(Long::longValue).toArray());
            case RLE -> new BitmapTransfer.Chunk.Compressed(new RleBitmapCodec.RleChunk(
                    2 | (chunk.getRle().getPadBits() & 7) << 4 | (chunk.getRle().getFirstRunSet() ? 0x80 : 0),
                    chunk.getRle().getCode().toByteArray()));
            case ENCODING_NOT_SET -> throw new IOException("peer sent a bitmap chunk with no content");
        };
        if (!receiver.accept(decoded)) {
            return null;
        }
        String stats = receiver.stats().logLine("receive");
        receiver = null;
        return stats;
    }
}
