package uk.e42.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class DrbdadmArgsTest {

    @Test
    void optionsAfterDoubleDashMoveBehindTheVerb() {
        assertArrayEquals(new String[] {"primary", "--overwrite-data-of-peer", "replicated0"},
                DrbdadmArgs.normalize("--", "--overwrite-data-of-peer", "primary", "replicated0"));
    }

    @Test
    void globalOptionsBeforeTheDoubleDashStayInFront() {
        assertArrayEquals(new String[] {"-c", "/etc/x.conf", "connect", "--discard-my-data", "r0"},
                DrbdadmArgs.normalize("-c", "/etc/x.conf", "--", "--discard-my-data", "connect", "r0"));
    }

    @Test
    void argumentsWithoutDoubleDashAreUntouched() {
        assertArrayEquals(new String[] {"primary", "--force", "r0"}, DrbdadmArgs.normalize("primary", "--force", "r0"));
    }

    @Test
    void aTrailingDoubleDashIsLeftForPicocli() {
        assertArrayEquals(new String[] {"status", "--"}, DrbdadmArgs.normalize("status", "--"));
        assertArrayEquals(new String[] {"--", "--force"}, DrbdadmArgs.normalize("--", "--force"));
    }
}
