package uk.e42.tandem.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

/** The host service files and the seed's OpenVPN configs, checked by the tools that read them. */
class ServiceFilesTest {

    @Test
    @E2e(tools = {"sh", "busybox"})
    void theOpenRcScriptIsValidShellForDashAndBusybox() {
        // Debian's sh is dash; Alpine's (the seed's OpenRC hosts) is busybox ash.
        Tools.run("sh", "-n", "deploy/openrc/tandem").orFail();
        Tools.run("busybox", "ash", "-n", "deploy/openrc/tandem").orFail();
        Tools.run("sh", "-n", "deploy/openrc/tandem.confd").orFail();
    }

    @Test
    void theOpenRcScriptDependsOnTheNetworkAndComesAfterOpenVpn() throws IOException {
        String script = Files.readString(Path.of("deploy/openrc/tandem"));
        assertTrue(script.startsWith("#!/sbin/openrc-run\n"));
        assertTrue(script.contains("\tneed net\n") && script.contains("\tafter openvpn\n"), "depend(): need net; after openvpn");
        assertTrue(Files.isExecutable(Path.of("deploy/openrc/tandem")), "init scripts are executable");
    }

    @Test
    @E2e(tools = {"systemd-analyze", "unshare"}, root = true)
    void theSystemdUnitVerifies() {
        // verify insists that ExecStart= exists: give it /opt/tandem/tandem in a private mount
        // namespace, so the host's /opt stays as it is.
        Tools.Result result = Tools.run("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs tandem-verify /opt && mkdir -p /opt/tandem && cp tandem /opt/tandem/ "
                        + "&& exec systemd-analyze verify deploy/systemd/tandem.service").orFail();
        // verify exits 0 after warnings such as "Unknown key name": any output is a finding.
        assertEquals("", result.stdout() + result.stderr(), "systemd-analyze verify found problems");
        String unit = Tools.run("cat", "deploy/systemd/tandem.service").orFail().stdout();
        assertTrue(unit.contains("After=") && unit.contains("openvpn@.service"), "after the seed's tunnel");
    }

    @Test
    @E2e(tools = "openvpn")
    void theSeedsOpenVpnConfigsPassOpenVpnsCryptoSelfTest(@TempDir Path dir) {
        Tools.run(List.of("openvpn", "--genkey", "secret", "static.key"), dir).orFail();
        for (String host : List.of("rosaria", "paimon")) {
            Path config = Path.of("deploy/openvpn/openvpn-" + host + ".conf").toAbsolutePath();
            // --test-crypto reads the whole config and the key, then round-trips packets through
            // the configured cipher without opening tun0 or a socket.
            Tools.Result result = Tools.run(List.of("openvpn", "--config", config.toString(), "--test-crypto"), dir);
            assertEquals(0, result.exitCode(), host + ": " + result.stdout() + result.stderr());
            assertTrue(result.stdout().contains("crypto self-test mode SUCCEEDED"), result.stdout());
        }
    }
}
