package uk.e42.tandem.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResourceChangesTest {
    private static final String TEMPLATE = """
            resource r0 {
                net { protocol C; %s }
                disk { resync-rate 100M; %s }
                device /dev/drbd0;
                meta-disk internal;
                on a { disk %s; address 127.0.0.1:7789; }
                on b { disk /dev/vg/b; address 127.0.0.1:%d; }
            }
            """;

    private static ResolvedResource resource(String net, String disk, String backing, int peerPort) {
        return ConfigParser.parse(Path.of("/etc/drbd.conf"), TEMPLATE.formatted(net, disk, backing, peerPort))
                .forNode("a", LocalAddresses.none()).resource("r0");
    }

    private static ResolvedResource running() {
        return resource("", "", "/dev/vg/a", 7790);
    }

    @Test
    void theSameConfigurationChangesNothing() {
        assertTrue(ResourceChanges.between(running(), running()).isEmpty());
    }

    @ParameterizedTest(name = "{0} / {1}")
    @CsvSource(delimiter = '|', value = {
        // net options, with DRBD's default when one side does not set the option
        "protocol A; | '' | net | protocol C -> A",
        "verify-alg sha1; | '' | net | verify-alg (unset) -> sha1",
        "ping-timeout 10; | '' | net | ping-timeout 5 -> 10",
        // disk options
        "'' | resync-rate 20M; | disk | resync-rate 100M -> 20M",
        "'' | c-plan-ahead 0; | disk | c-plan-ahead 20 -> 0",
        // disk { size } belongs to resize: not applied by adjust
        "'' | size 1G; | structural | size 0 -> 1G",
    })
    void optionChangesAreSortedByWhereTheyApply(String net, String disk, String where, String line) {
        ResourceChanges changes = ResourceChanges.between(running(), resource(net, disk, "/dev/vg/a", 7790));
        List<String> expected = List.of(line);
        assertEquals(where.equals("net") ? expected : List.of(), changes.net());
        assertEquals(where.equals("disk") ? expected : List.of(), changes.disk());
        assertEquals(where.equals("structural") ? expected : List.of(), changes.structural());
    }

    @Test
    void devicesAndAddressesAreStructural() {
        ResourceChanges changes = ResourceChanges.between(running(), resource("", "", "/dev/vg/new", 7791));
        assertEquals(List.of("peer address 127.0.0.1:7790 -> 127.0.0.1:7791", "disk /dev/vg/a -> /dev/vg/new"),
                changes.structural());
    }

    @Test
    void aSecretIsNeverPrinted() {
        ResourceChanges changes = ResourceChanges.between(
                resource("cram-hmac-alg sha1; shared-secret \"old\";", "", "/dev/vg/a", 7790),
                resource("cram-hmac-alg sha1; shared-secret \"new\";", "", "/dev/vg/a", 7790));
        assertEquals(List.of("shared-secret changed"), changes.net());
    }
}
