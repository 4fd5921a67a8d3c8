package uk.e42.tandem.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.config.ConfigException;

/** The daemon's node loads drbd.conf at start: missing is tolerated, invalid stops it. */
class NodeConfigLoadingTest {
    static final Path SEED = Path.of("src/test/resources/config/corpus/seed/drbd.conf");

    @TempDir
    Path dir;

    /** The real mapping, as the daemon builds it, with the two settings the node reads. */
    static TandemConfig settings(Path config, String nodeName) {
        return new SmallRyeConfigBuilder().withMapping(TandemConfig.class)
                .withSources(new PropertiesConfigSource(
                        Map.of("tandem.config", config.toString(), "tandem.node-name", nodeName), "test", 500))
                .build().getConfigMapping(TandemConfig.class);
    }

    @Test
    void seedGivesRosariaItsResource() {
        Node node = new Node(settings(SEED, "rosaria"));
        assertEquals("rosaria", node.name());
        assertEquals(List.of("replicated0"), node.resourceNames());
        assertEquals("", node.configProblem());
        assertEquals('A', node.view().orElseThrow().resource("replicated0").net().protocol());
    }

    @Test
    void nodeInNoResourceRunsWithNoneAndSaysWhy() {
        Node node = new Node(settings(SEED, "elsewhere"));
        assertEquals(List.of(), node.resourceNames());
        assertTrue(node.configProblem().contains("has a host section for this node"), node.configProblem());
    }

    @Test
    void missingFileRunsWithNoResources() {
        Node node = new Node(settings(dir.resolve("drbd.conf"), "rosaria"));
        assertEquals(List.of(), node.resourceNames());
        assertTrue(node.drbdConfig().isEmpty());
        assertTrue(node.configProblem().contains("does not exist yet; running with no resources"));
    }

    @Test
    void invalidFileStopsTheNodeWithTheParseError() throws IOException {
        Path bad = dir.resolve("drbd.conf");
        Files.writeString(bad, "resource r0 { net { protocol Q; } }\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new Node(settings(bad, "a")));
        assertEquals(bad.toAbsolutePath() + ":1:30", e.position().toString());
    }
}
