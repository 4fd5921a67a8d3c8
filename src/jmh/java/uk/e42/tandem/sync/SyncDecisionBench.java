package uk.e42.tandem.sync;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import uk.e42.tandem.meta.GenerationUuids;
import uk.e42.tandem.state.DiskState;
import uk.e42.tandem.state.Role;

/** The connect-time decision: equal generations (no resync) and a Primary that went on alone (bitmap resync). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SyncDecisionBench {
    private final SyncDecision.HandshakeInput inSync = input(new GenerationUuids(0xA1L << 4, 0, 0x51L << 4, 0x31L << 4),
            new GenerationUuids(0xA1L << 4, 0, 0x51L << 4, 0x31L << 4));
    private final SyncDecision.HandshakeInput aheadByBitmap = input(
            new GenerationUuids(0xB1L << 4, 0xA1L << 4, 0x51L << 4, 0x31L << 4),
            new GenerationUuids(0xA1L << 4, 0, 0x51L << 4, 0x31L << 4));

    private static SyncDecision.HandshakeInput input(GenerationUuids self, GenerationUuids peer) {
        return SyncDecision.HandshakeInput.of(
                SyncDecision.NodeView.of(self, 256, Role.PRIMARY, DiskState.UP_TO_DATE),
                SyncDecision.NodeView.of(peer, 0, Role.SECONDARY, DiskState.UP_TO_DATE), true,
                SyncDecision.Policy.DEFAULT);
    }

    @Benchmark
    public Object handshakeNoResync() {
        return SyncDecision.handshake(inSync);
    }

    @Benchmark
    public Object handshakeBitmapResync() {
        return SyncDecision.handshake(aheadByBitmap);
    }
}
