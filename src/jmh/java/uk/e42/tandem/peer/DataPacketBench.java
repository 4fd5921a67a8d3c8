package uk.e42.tandem.peer;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;

import uk.e42.tandem.peer.v1.AckWanted;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Write;

/**
 * The peer link's framing of replicated writes: building a Write packet as device.Replicator does (copying
 * the payload into a ByteString) or wrapping it without a copy, serializing it, and parsing it on the peer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DataPacketBench {
    @Param({"4096", "1048576"})
    public int size;

    private byte[] data;
    private byte[] wire;

    @Setup
    public void setUp() {
        data = new byte[size];
        ThreadLocalRandom.current().nextBytes(data);
        wire = packet(ByteString.copyFrom(data)).toByteArray();
    }

    private static DataPacket packet(ByteString payload) {
        return DataPacket.newBuilder().setWrite(Write.newBuilder().setSector(2048).setBlockId(77).setSeq(5)
                .setAck(AckWanted.ACK_WRITE).setData(payload)).build();
    }

    @Benchmark
    public byte[] buildCopyAndSerialize() {
        return packet(ByteString.copyFrom(data)).toByteArray();
    }

    @Benchmark
    public byte[] buildWrapAndSerialize() {
        return packet(UnsafeByteOperations.unsafeWrap(data)).toByteArray();
    }

    @Benchmark
    public DataPacket parse() throws InvalidProtocolBufferException {
        return DataPacket.parseFrom(wire);
    }
}
