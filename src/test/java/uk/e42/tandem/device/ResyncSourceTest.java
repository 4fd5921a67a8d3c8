package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FaultyBlockStore;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.ResyncRequest;

/** A request c-min-rate held back is not read or answered once the session ended. */
class ResyncSourceTest {
    private static final long DEVICE = 1L << 20;

    @TempDir
    Path dir;

    private final NodeExecutors executors = new NodeExecutors();
    private final ScheduledExecutorService executor = executors.self;
    private final List<ControlPacket> controlSent = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        executors.close();
    }

    /** Every read fails and is counted: a read that happened shows as an injected failure and a NEG_RS_DREPLY. */
    private FaultyBlockStore countingReads() throws Exception {
        Path file = dir.resolve("disk.img");
        Files.write(file, new byte[(int) DEVICE]);
        return new FaultyBlockStore(FileBlockStore.open(file)).failReads(0, DEVICE);
    }

    private ResyncSource givingWaySource(FaultyBlockStore disk, PeerEnd peer) {
        return new ResyncSource(null, disk, new StripeLocks(), peer.sender, controlSent::add, executor, null, 1024,
                () -> true, new PeerStatistics());
    }

    private void requestBlock(ResyncSource source) throws Exception {
        executor.submit(() -> source.onRequest(ResyncRequest.newBuilder().setSector(8).setSize(4096).setBlockId(3)
                .build(), violations::add)).get();
    }

    /** Past the c-min-rate delay and the read it lets start; then whatever the executor was told ran. */
    private void waitPastTheDelay() throws Exception {
        executor.schedule(() -> null, 3 * ResyncSource.GIVE_WAY_MILLIS, TimeUnit.MILLISECONDS).get();
        Thread.sleep(ResyncSource.GIVE_WAY_MILLIS);
        executor.submit(() -> null).get();
    }

    @Test
    void aHeldBackRequestIsAnsweredAfterTheDelay() throws Exception {
        try (FaultyBlockStore disk = countingReads()) {
            ResyncSource source = givingWaySource(disk, new PeerEnd(executors));
            requestBlock(source);
            assertEquals(0, disk.injectedFailures(), "held back: not read yet");
            waitPastTheDelay();
            assertEquals(1, disk.injectedFailures(), "read once the delay passed");
            assertEquals(List.of(AckKind.NEG_RS_DREPLY), controlSent.stream().map(p -> p.getBlockAck().getKind())
                    .toList());
        }
    }

    @Test
    void aHeldBackRequestIsNeitherReadNorAnsweredAfterTheSessionEnded() throws Exception {
        try (FaultyBlockStore disk = countingReads()) {
            PeerEnd peer = new PeerEnd(executors);
            ResyncSource source = givingWaySource(disk, peer);
            requestBlock(source);
            executor.submit(source::end).get();
            waitPastTheDelay();
            assertEquals(0, disk.injectedFailures(), "nothing was read");
            assertEquals(List.of(), controlSent);
            assertEquals(List.of(), peer.peerReceived);
            assertEquals(List.of(), violations);
        }
    }
}
