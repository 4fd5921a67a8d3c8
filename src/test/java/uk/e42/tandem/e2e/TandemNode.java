package uk.e42.tandem.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One {@code tandem daemon} process for end-to-end tests: its own directory (config, disks,
 * log), ports and environment, optionally inside a network namespace "host".
 */
public final class TandemNode {
    private final String name;
    private final Path dir;
    private final String namespace;
    private final String httpHost;
    private final int httpPort;
    private final int adminPort;
    private final int nbdPort;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Path localDevices;
    private Process process;
    private int starts;

    TandemNode(String name, Path dir, String namespace, String httpHost) {
        this.name = name;
        this.dir = dir;
        this.namespace = namespace;
        this.httpHost = httpHost;
        this.httpPort = namespace == null ? freePort() : 8080;
        this.adminPort = namespace == null ? freePort() : 7800;
        this.nbdPort = namespace == null ? freePort() : 10809;
        env.put("TANDEM_NODE_NAME", name);
        env.put("TANDEM_CONFIG", dir.resolve("drbd.conf").toString());
        env.put("TANDEM_STATE_DIR", dir.resolve("state").toString());
        env.put("TANDEM_ADMIN_ADDRESS", "127.0.0.1:" + adminPort);
        env.put("TANDEM_NBD_PORT", Integer.toString(nbdPort));
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("QUARKUS_HTTP_HOST", httpHost);
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public int httpPort() {
        return httpPort;
    }

    public int adminPort() {
        return adminPort;
    }

    public int nbdPort() {
        return nbdPort;
    }

    /** Sets an env var (a tandem.* or quarkus.* setting) for the next start and for CLI calls. */
    public TandemNode env(String key, String value) {
        env.put(key, value);
        return this;
    }

    /**
     * Every process of this node (daemon and CLI) sees {@code dir} as {@code /dev/local}, the seed's
     * LVM volume group, through a private mount namespace of its own: drbd.d files name
     * {@code /dev/local/replicated0} verbatim while two "hosts" share this machine's /dev. The
     * directory {@code /dev/local} must exist (see {@link LocalVolumes}).
     */
    public TandemNode localDevices(Path dir) {
        this.localDevices = dir;
        return this;
    }

    public Path log() {
        return dir.resolve("daemon.log");
    }

    public TandemNode start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        try {
            starts++;
            ProcessBuilder builder = new ProcessBuilder(inNamespace(List.of(Launcher.path().toString(), "daemon")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
            builder.environment().putAll(env);
            Files.writeString(log(), "=== start " + starts + " of " + name + " at " + Instant.now() + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = builder.start();
            return this;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /** Waits until /q/health/live answers UP. */
    public TandemNode awaitLive(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String last = "no answer";
        while (Instant.now().isBefore(deadline)) {
            if (process != null && !process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " before it was live; log:\n"
                        + logText());
            }
            last = health("live");
            if (last.contains("\"status\": \"UP\"")) {
                return this;
            }
            sleep(100);
        }
        throw new AssertionError(name + " not live after " + timeout + " (last: " + last + "); log:\n" + logText());
    }

    /** GET /q/health/{kind}: the body, or the error as text. */
    public String health(String kind) {
        return http("/q/health/" + kind);
    }

    public String http(String path) {
        if (namespace != null) {
            return Tools.run(inNamespace(List.of("curl", "-s", "http://127.0.0.1:" + httpPort + path)), null).stdout();
        }
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    /** Runs {@code tandem ARGS} as this node's admin would (same env, same namespace). */
    public Tools.Result cli(String... args) {
        List<String> command = new ArrayList<>();
        command.add("env");
        env.forEach((k, v) -> command.add(k + "=" + v));
        command.add(Launcher.path().toString());
        command.addAll(List.of(args));
        return Tools.run(inNamespace(command), dir);
    }

    /** SIGKILL: the crash the activity log and the peers must survive. */
    public void kill9() {
        if (process != null) {
            process.destroyForcibly();
            waitExit();
        }
    }

    /** SIGTERM and wait, as an init system stops it. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            waitExit();
        }
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    public String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log()) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Waits up to a minute for {@code text} in the daemon's log; fails with the log otherwise. */
    public void awaitLog(String text) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (logText().contains(text)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(name() + " never logged " + text + "; log:\n" + logText());
    }

    private void waitExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            // The launcher execs java, but inside a namespace `ip netns exec` may leave the JVM behind.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<String> inNamespace(List<String> command) {
        List<String> wrapped = new ArrayList<>();
        if (localDevices != null) {
            // unshare and sh both exec, so the daemon keeps the PID this test kills.
            wrapped.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    "mount --bind \"$0\" /dev/local && exec \"$@\"", localDevices.toString()));
        }
        if (namespace != null) {
            wrapped.addAll(List.of("ip", "netns", "exec", namespace));
        }
        wrapped.addAll(command);
        return wrapped;
    }

    /** Ports this JVM handed out already: never the same one twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A port to listen on, below Linux's ephemeral range (32768-60999): a port from that range can be
     * taken between this check and the daemon's bind by any outgoing connection, the daemons' own
     * peer dials included.
     */
    static int freePort() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(20000, 32000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket(port)) {
                return socket.getLocalPort();
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new IllegalStateException("no free port found between 20000 and 32000");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
