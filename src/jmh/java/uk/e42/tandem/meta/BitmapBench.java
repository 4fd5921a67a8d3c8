package uk.e42.tandem.meta;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The bitmap of a 1 TiB volume (2^28 bits, 32 MiB): marking 4 KiB writes, scanning for dirty blocks as the
 * resync does, and the whole bitmap exchange (RLE encode on the sender, decode and merge on the receiver),
 * with 0.1 % of the blocks dirty in runs of 64 KiB ("sparse") or every other 4 KiB block dirty ("worst").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BitmapBench {
    private static final long VOLUME = 1L << 40;
    private static final int HEADER = 16;

    @Param({"sparse", "worst"})
    public String pattern;

    private Bitmap dirty;
    private Bitmap received;
    private Bitmap marks;
    private long[] writeOffsets;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        dirty = Bitmap.forBytes(VOLUME);
        received = Bitmap.forBytes(VOLUME);
        marks = Bitmap.forBytes(VOLUME);
        SplittableRandom random = new SplittableRandom(11);
        if (pattern.equals("sparse")) {
            for (long i = 0; i < dirty.bits() / 1000 / 16; i++) {
                long at = random.nextLong(dirty.bits() - 16);
                dirty.set(at, at + 16);
            }
        } else {
            // a run per bit: RLE's worst case, only the first 16 MiB of the volume so it stays one packet's work
            for (long bit = 0; bit < 4096; bit += 2) {
                dirty.set(bit, bit + 1);
            }
        }
        writeOffsets = new long[1 << 16];
        for (int i = 0; i < writeOffsets.length; i++) {
            writeOffsets[i] = random.nextLong(VOLUME >>> 12) << 12;
        }
    }

    /** One application write of 4 KiB while the peer is away. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long markOutOfSync4k() {
        long offset = writeOffsets[next++ & (writeOffsets.length - 1)];
        return marks.markOutOfSync(offset, 4096);
    }

    /** The resync's walk over the whole 1 TiB bitmap, dirty run by dirty run. */
    @Benchmark
    public long scanDirtyRuns() {
        long runs = 0;
        for (long bit = dirty.nextSetBit(0); bit >= 0; bit = dirty.nextSetBit(bit)) {
            bit = dirty.nextClearBit(bit);
            runs++;
            if (bit >= dirty.bits()) {
                break;
            }
        }
        return runs;
    }

    /** P_COMPRESSED_BITMAP packets for the whole bitmap, as the sender builds them. */
    @Benchmark
    public long rleEncodeWholeBitmap() {
        BitmapTransfer.Sender sender = new BitmapTransfer.Sender(dirty, BitmapTransfer.DRBD_PACKET_BYTES, HEADER, true);
        long packets = 0;
        while (sender.next() != null) {
            packets++;
        }
        return packets;
    }

    /** Encode and merge into the receiver's bitmap: the receiver's side of the exchange plus its input. */
    @Benchmark
    public long rleEncodeAndDecodeWholeBitmap() throws IOException {
        BitmapTransfer.Sender sender = new BitmapTransfer.Sender(dirty, BitmapTransfer.DRBD_PACKET_BYTES, HEADER, true);
        BitmapTransfer.Receiver receiver = new BitmapTransfer.Receiver(received, BitmapTransfer.DRBD_PACKET_BYTES, HEADER);
        long packets = 0;
        for (BitmapTransfer.Chunk chunk = sender.next(); chunk != null; chunk = sender.next()) {
            packets++;
            if (receiver.accept(chunk)) {
                break;
            }
        }
        return packets;
    }
}
