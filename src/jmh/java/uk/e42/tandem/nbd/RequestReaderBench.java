package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Decoding NBD_CMD_WRITE requests as the socket hands them over: a 4 KiB write in one chunk, and a 1 MiB
 * write in the 64 KiB chunks a TCP read typically delivers (the payload is copied once, into its own buffer).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestReaderBench {
    @Param({"4096", "1048576"})
    public int payload;

    private ByteBuffer[] chunks;
    private RequestReader reader;
    private ByteBuffer target;

    @Setup
    public void setUp() {
        ByteBuffer wire = ByteBuffer.allocate(Nbd.REQUEST_HEADER_SIZE + payload);
        wire.putInt(Nbd.REQUEST_MAGIC).putShort((short) 0).putShort((short) Nbd.CMD_WRITE).putLong(7).putLong(1 << 20)
                .putInt(payload);
        wire.position(wire.capacity()).flip();
        int chunk = Math.min(wire.remaining(), 64 * 1024);
        chunks = new ByteBuffer[(wire.remaining() + chunk - 1) / chunk];
        for (int i = 0; i < chunks.length; i++) {
            int from = i * chunk;
            chunks[i] = wire.slice(from, Math.min(chunk, wire.capacity() - from));
        }
        target = ByteBuffer.allocateDirect(payload);
        reader = new RequestReader(32 << 20, n -> target.clear().limit(n));
    }

    @Benchmark
    public NbdRequest decodeWrite() throws NbdProtocolException {
        ByteQueue in = new ByteQueue();
        NbdRequest request = null;
        for (ByteBuffer chunk : chunks) {
            in.add(chunk.duplicate());
            request = reader.next(in);
        }
        return request;
    }
}
