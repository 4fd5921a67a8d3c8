package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.e42.tandem.disk.FileBlockStore;

class RequestCheckTest {
    static final long SIZE = 1 << 20;
    @TempDir
    Path dir;
    String refusal;
    NbdSession session;

    @BeforeEach
    void session() throws IOException {
        Path file = dir.resolve("disk");
        Files.write(file, new byte[(int) SIZE]);
        NbdExport export = new NbdExport(List.of("replicated0"), FileBlockStore.open(file),
                () -> Optional.ofNullable(refusal), true, new BlockSizes(512, 4096, 64 * 1024));
        session = new NbdSession(export, true, false, "");
    }

    private Optional<RequestCheck.Refusal> check(int flags, int type, long offset, long length) {
        return RequestCheck.check(new NbdRequest(flags, type, 1, offset, length, null), session);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "read inside, 0, 0, 0, 4096, OK",
        "read of the last block, 0, 0, 1044480, 4096, OK",
        "read of length 0, 0, 0, 0, 0, OK",
        "write at the end with length 0, 0, 1, 1048576, 0, OK",
        "trim larger than the maximum block size, 0, 4, 0, 1048576, OK",
        "write zeroes without hole, 2, 6, 0, 4096, OK",
        "fua on a read is accepted, 1, 0, 0, 512, OK",
        "unknown command, 0, 9, 0, 0, EINVAL",
        "block status was not negotiated, 0, 7, 0, 512, EINVAL",
        "unknown flag, 64, 0, 0, 512, EINVAL",
        "no-hole on a write, 2, 1, 0, 512, EINVAL",
        "read past the end, 0, 0, 1044480, 8192, EINVAL",
        "write past the end, 0, 1, 1048576, 512, ENOSPC",
        "write zeroes past the end, 0, 6, 1048064, 1024, ENOSPC",
        "trim past the end, 0, 4, 1048064, 1024, EINVAL",
        "offset beyond 2^63, 0, 0, -512, 512, EINVAL",
        "unaligned offset, 0, 0, 100, 512, EINVAL",
        "unaligned length, 0, 1, 0, 100, EINVAL",
        "read over the maximum block size, 0, 0, 0, 131072, EINVAL",
        "write over the maximum block size, 0, 1, 0, 131072, EINVAL",
        "flush with a length, 0, 3, 0, 512, EINVAL",
    })
    void refusesPerSpec(String what, int flags, int type, long offset, long length, String expected) {
        Optional<RequestCheck.Refusal> refusal = check(flags, type, offset, length);
        assertEquals(expected, refusal.map(r -> r.error().name()).orElse("OK"), refusal.map(RequestCheck.Refusal::message)
                .orElse(""));
    }

    @Test
    void outOfRangeMessageNamesTheExportAndItsSize() {
        String message = check(0, Nbd.CMD_WRITE, SIZE, 512).orElseThrow().message();
        assertEquals("NBD_CMD_WRITE of 512 bytes at offset 1048576 goes beyond the end of export replicated0"
                + " (1048576 bytes)", message);
    }

    @Test
    void aSecondaryRefusesEveryWriteWithEpermAndSaysWhy() {
        refusal = "replicated0 is Secondary; run tandem primary replicated0 first";
        for (int type : new int[] {Nbd.CMD_WRITE, Nbd.CMD_TRIM, Nbd.CMD_WRITE_ZEROES}) {
            RequestCheck.Refusal r = check(0, type, 0, 512).orElseThrow();
            assertEquals(NbdError.EPERM, r.error());
            assertTrue(r.message().contains("replicated0 is Secondary"), r.message());
        }
        assertEquals(Optional.empty(), check(0, Nbd.CMD_READ, 0, 512));
        assertEquals(Optional.empty(), check(0, Nbd.CMD_FLUSH, 0, 0));
    }

    @Test
    void aConnectionOpenedReadOnlyStaysReadOnly() {
        session = new NbdSession(session.export(), false, true, "was Secondary");
        assertEquals(NbdError.EPERM, check(0, Nbd.CMD_WRITE, 0, 512).orElseThrow().error());
    }
}
