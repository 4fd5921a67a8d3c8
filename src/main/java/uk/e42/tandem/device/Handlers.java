package uk.e42.tandem.device;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs a drbd.conf handler ({@code split-brain}, {@code pri-lost-after-sb}, ...) the way drbdadm's
 * helper does: {@code /bin/sh -c COMMAND} with drbdadm's environment (DRBD_RESOURCE, DRBD_PEER,
 * DRBD_MINOR, DRBD_VOLUME) and DRBD_HANDLER set, its output in the log and its exit
 * code reported, never blocking the resource.
 */
final class Handlers {
    private static final Logger LOG = Logger.getLogger(Handlers.class);
    private static final long TIMEOUT_SECONDS = 300;

    private Handlers() {
    }

    /**
     * @param environment drbdadm's variables for this resource (DRBD_RESOURCE, ...)
     */
    static void run(String command, String resource, String handler, Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        builder.environment().put("DRBD_HANDLER", handler);
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes()).strip();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                LOG.errorf("%s: helper command %s (%s) did not finish in %d s; killed", resource, handler, command,
                        TIMEOUT_SECONDS);
                return;
            }
            LOG.infof("%s: helper command: %s %s exit code %d%s", resource, handler, command, process.exitValue(),
                    output.isEmpty() ? "" : "; output: " + output);
        } catch (IOException e) {
            LOG.errorf("%s: helper command %s (%s) could not start: %s", resource, handler, command, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
