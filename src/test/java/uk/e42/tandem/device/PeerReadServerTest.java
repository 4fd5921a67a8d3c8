package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.e42.tandem.disk.FaultyBlockStore;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataRequest;

/** The hostile-peer rule for P_DATA_REQUEST: nothing outside the device is read, abuse drops the link. */
class PeerReadServerTest {
    private static final long DEVICE = 1L << 20;

    @TempDir
    Path dir;

    /** Every read of this store fails and is counted: a read that happened shows as an injected failure. */
    private FaultyBlockStore untouchable() throws Exception {
        Path file = dir.resolve("disk.img");
        Files.write(file, new byte[(int) DEVICE]);
        return new FaultyBlockStore(FileBlockStore.open(file)).failReads(0, DEVICE);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            beyond the end                  | 2048                 | 512
            straddling the end              | 2047                 | 1024
            sector whose byte offset wraps  | 36028797018963968    | 512
            empty                           | 0                    | 0
            above 1 MiB                     | 0                    | 1049088
            not whole sectors               | 0                    | 1000
            """)
    void badRequestsDropTheConnectionAndReadNothing(String why, long sector, int size) throws Exception {
        try (FaultyBlockStore disk = untouchable()) {
            List<String> violations = new ArrayList<>();
            List<ControlPacket> sent = new ArrayList<>();
            PeerReadServer server = new PeerReadServer(disk, null, null, sent::add, Runnable::run, () -> true, "r0");
            server.onRequest(DataRequest.newBuilder().setSector(sector).setSize(size).setBlockId(7).build(),
                    violations::add);
            assertEquals(1, violations.size(), why);
            assertTrue(violations.getFirst().startsWith("peer asked to read " + size + " bytes at sector " + sector),
                    violations.getFirst());
            assertEquals(List.of(), sent);
            assertEquals(0, disk.injectedFailures(), "nothing was read");
        }
    }

    @Test
    void withoutUpToDateDataTheAnswerIsNegDReply() throws Exception {
        try (FaultyBlockStore disk = untouchable()) {
            List<String> violations = new ArrayList<>();
            List<ControlPacket> sent = new ArrayList<>();
            PeerReadServer server = new PeerReadServer(disk, null, null, sent::add, Runnable::run, () -> false, "r0");
            server.onRequest(DataRequest.newBuilder().setSector(8).setSize(4096).setBlockId(7).build(),
                    violations::add);
            assertEquals(List.of(), violations);
            assertEquals(1, sent.size());
            assertEquals(AckKind.NEG_DREPLY, sent.getFirst().getBlockAck().getKind());
            assertEquals(7, sent.getFirst().getBlockAck().getBlockId());
            assertEquals(0, disk.injectedFailures(), "nothing was read");
        }
    }
}
