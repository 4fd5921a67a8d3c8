package uk.e42.tandem.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {

    @ParameterizedTest
    @CsvSource({"127.0.0.1:7800, 127.0.0.1, 7800", "localhost:1, localhost, 1", "'[::1]:65535', ::1, 65535",
        "' node-a:10809 ', node-a, 10809"})
    void parsesWhatOperatorsWrite(String text, String host, int port) {
        HostPort parsed = HostPort.parse("tandem.admin.address", text);
        assertEquals(new HostPort(host, port), parsed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "7800", "127.0.0.1", "127.0.0.1:", ":7800", "::1:7800", "host:http", "host:0",
        "host:65536"})
    void rejectsWithTheSettingAndTheExpectedForm(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HostPort.parse("tandem.admin.address", text));
        assertTrue(e.getMessage().startsWith("tandem.admin.address='" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("HOST:PORT"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"127.0.0.1:7800", "'[::1]:7800'"})
    void printsBackAsParsed(String text) {
        assertEquals(text, HostPort.parse("x", text).toString());
    }
}
