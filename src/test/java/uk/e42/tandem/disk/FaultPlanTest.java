package uk.e42.tandem.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FaultPlanTest {

    @Test
    void linesApplyToTheirResourceOnly(@TempDir Path dir) throws IOException {
        FaultPlan plan = FaultPlan.parse("""
                # the failing disk of disaster (e)
                r0 read-eio 4096 4096
                r0 write-eio 0 512   # trailing comment
                r1 flush-eio

                """, "faults");
        assertEquals("[read-eio 4096 4096, write-eio 0 512]", plan.faults("r0").toString());
        assertEquals("[flush-eio]", plan.faults("r1").toString());
        assertEquals("[]", plan.faults("r2").toString());

        Path file = dir.resolve("disk.img");
        Files.write(file, new byte[16384]);
        try (FaultyBlockStore store = new FaultyBlockStore(FileBlockStore.open(file))) {
            plan.applyTo("r0", store);
            assertThrows(IOException.class, () -> store.read(4096, ByteBuffer.allocate(512)));
            assertThrows(IOException.class, () -> store.write(0, ByteBuffer.allocate(512)));
            store.read(0, ByteBuffer.allocate(4096));
            store.flush();
            FaultPlan.NONE.applyTo("r0", store);
            store.read(4096, ByteBuffer.allocate(512));
            store.write(0, ByteBuffer.allocate(512));
            assertEquals(2, store.injectedFailures());
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            r0                        | faults:1: expected RESOURCE KIND [ARGUMENTS], got 'r0'
            r0 eio 1 2                | faults:1: unknown fault 'eio'; expected one of read-eio, write-eio, enospc, torn-write, flush-eio, latency
            r0 read-eio 1             | faults:1: read-eio takes 2 number(s), got 1
            r0 read-eio 1 2 3         | faults:1: read-eio takes 2 number(s), got 3
            r0 read-eio 1M 2          | faults:1: '1M' is not a decimal number
            r0 enospc -1              | faults:1: '-1' is negative
            """)
    void badLinesAreNamed(String line, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(line,
                "faults"));
        assertEquals(message, e.getMessage());
    }

    @Test
    void theLineNumberCountsCommentsAndBlankLines() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FaultPlan.parse("# header\n\nr0 latency\n", "/run/faults"));
        assertTrue(e.getMessage().startsWith("/run/faults:3: "), e.getMessage());
    }
}
