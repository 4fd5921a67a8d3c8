package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** README: tandem.nbd.threads below 1 stops the daemon at start, naming the setting's meaning and value. */
class NbdServerTest {
    @Test
    void fewerThanOneWorkerPerConnectionIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new NbdServer(new NbdExports(List.of()), 0));
        assertEquals("NBD worker threads per connection must be at least 1, not 0 (tandem.nbd.threads)",
                refused.getMessage());
    }
}
