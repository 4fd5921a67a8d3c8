package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A peer that does not belong (issues 6 and 7): a wrong shared-secret, a key from another cluster,
 * plaintext against TLS. Each is refused with DRBD's or Tandem's words in the log, never reaches
 * Connected, and the refused node's disk receives nothing of what the Primary writes.
 */
@E2e(tools = {"qemu-io"})
class HostilePeerIT {
    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void wrongSharedSecretFailsAuthenticationOnBothAndLeavesThemStandAlone() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        pair.paimonConfig("shared-secret \"joshua\"", "shared-secret \"falken\"");
        pair.up();
        for (TandemNode node : pair.nodes()) {
            node.awaitLog("Authentication of peer failed");
            LoopbackPair.awaitStatus(node, s -> s.contains("peer connection:StandAlone"));
        }
        assertNothingReachesPaimon(pair);
    }

    @Test
    void aKeyFromAnotherClusterIsRefused() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        String otherKey = pair.paimon.dir().resolve("other.key").toString();
        pair.paimon.cli("genkey", "secret", otherKey).orFail();
        pair.paimon.env("TANDEM_TLS_KEY_FILE", otherKey);
        pair.up();
        pair.rosaria.awaitLog("peer certificate not issued by this cluster's key");
        pair.paimon.awaitLog("peer certificate not issued by this cluster's key");
        assertNothingReachesPaimon(pair);
    }

    @Test
    void plaintextAgainstTlsIsRefused() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        pair.paimon.env("TANDEM_TLS_MODE", "plaintext");
        pair.up();
        // Both dial each other every connect-int (10 s): give them more than one round to fail.
        Thread.sleep(Duration.ofSeconds(12));
        assertNothingReachesPaimon(pair);
    }

    /** rosaria writes as Primary; paimon, never connected, holds zeros only and never saw a handshake. */
    private static void assertNothingReachesPaimon(LoopbackPair pair) throws Exception {
        pair.rosaria.cli("primary", "--force", "replicated0").orFail();
        pair.write(pair.rosaria, 0, 1 << 20, 5);
        for (TandemNode node : pair.nodes()) {
            String status = node.cli("status", "replicated0").orFail().stdout();
            assertFalse(status.contains("replication:"), node.name() + " never connected:\n" + status);
            assertFalse(node.logText().contains("drbd_sync_handshake"), node.name() + " never got to the handshake");
        }
        assertEquals(LoopbackPair.sha256(Path.of("/dev/zero"), LoopbackPair.DATA_BYTES),
                LoopbackPair.sha256(pair.paimon.dir().resolve("disk.img"), LoopbackPair.DATA_BYTES),
                "paimon's data area is untouched");
    }
}
