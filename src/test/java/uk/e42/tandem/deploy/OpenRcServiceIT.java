package uk.e42.tandem.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

/**
 * deploy/openrc/tandem under Debian's openrc: starts the real daemon with settings from its
 * conf.d file, waits until it answers, and stops it cleanly with SIGTERM. openrc is not this
 * machine's init, so the run happens in a private mount namespace with its own /run (where
 * OpenRC keeps service state), which is how OpenRC runs in a container too.
 */
class OpenRcServiceIT {

    @Test
    @E2e(tools = {"openrc-run", "unshare", "curl"}, root = true)
    void startsTheDaemonWithItsConfdSettingsAndStopsItCleanly(@TempDir Path dir) throws IOException {
        Path project = Path.of(System.getProperty("tandem.project.dir", System.getProperty("user.dir")));
        assertTrue(Files.exists(project.resolve("target/quarkus-app/quarkus-run.jar")), "needs ./mvnw package");
        Path initD = Files.createDirectories(dir.resolve("init.d"));
        Path confD = Files.createDirectories(dir.resolve("conf.d"));
        Path script = Files.copy(project.resolve("deploy/openrc/tandem"), initD.resolve("tandem"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        int http = freePort();
        Path log = dir.resolve("tandem.log");
        Files.writeString(confD.resolve("tandem"), Files.readString(project.resolve("deploy/openrc/tandem.confd")) + """
                TANDEM_LAUNCHER="%s"
                TANDEM_CONFIG="%s"
                TANDEM_NODE_NAME="rosaria"
                TANDEM_ADMIN_ADDRESS="127.0.0.1:%d"
                TANDEM_NBD_PORT="%d"
                QUARKUS_HTTP_PORT="%d"
                TANDEM_LOG="%s"
                """.formatted(project.resolve("tandem"), dir.resolve("drbd.conf"), freePort(), freePort(), http, log));
        String steps = """
                set -u
                mount -t tmpfs tandem-openrc /run
                mkdir -p /run/openrc && cd /run/openrc
                mkdir daemons exclusive failed hotplugged inactive options scheduled started starting stopping tmp wasinactive
                touch softlevel
                %1$s start; echo "start=$?"
                curl -fsS http://127.0.0.1:%2$d/q/health/live; echo; echo "live=$?"
                %1$s status; echo "status=$?"
                %1$s stop; echo "stop=$?"
                curl -fsS http://127.0.0.1:%2$d/q/health/live >/dev/null 2>&1; echo "gone=$?"
                """.formatted(script, http);
        Tools.Result result = Tools.run(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", steps), dir);
        String out = result.stdout() + result.stderr();
        String daemonLog = Files.exists(log) ? Files.readString(log) : "(no log)";
        String context = out + "\n--- daemon log ---\n" + daemonLog;
        assertTrue(out.contains("start=0"), "start: " + context);
        assertTrue(out.contains("\"node\": \"rosaria\"") || out.contains("\"node\":\"rosaria\""),
                "the daemon took TANDEM_NODE_NAME from conf.d: " + context);
        assertTrue(out.contains("status: started"), context);
        assertTrue(out.contains("stop=0"), "stop: " + context);
        assertTrue(!out.contains("gone=0"), "the daemon no longer answers after stop: " + context);
        assertTrue(daemonLog.contains("stopped in"), "Quarkus's clean shutdown line: " + context);
        assertTrue(out.contains(dir.resolve("drbd.conf").toString()), "the daemon took TANDEM_CONFIG from conf.d: " + context);
        assertEquals(0, result.exitCode(), context);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
