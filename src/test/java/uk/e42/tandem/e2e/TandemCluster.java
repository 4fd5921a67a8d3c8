package uk.e42.tandem.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Daemons for one test, as a JUnit extension ({@code @RegisterExtension}): each node gets its own
 * directory and ports; after the test every node is stopped, and when the test failed every
 * node's log is printed.
 */
public final class TandemCluster implements AfterEachCallback, TestWatcher {
    private final List<TandemNode> nodes = new ArrayList<>();
    private final Path root;

    public TandemCluster() {
        try {
            root = Files.createTempDirectory("tandem-e2e");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A node on this machine's loopback with ports of its own. */
    public TandemNode node(String name) {
        return add(name, null, "127.0.0.1");
    }

    /** A node inside a network-namespace host (see {@link NetnsHosts}), on the default ports. */
    public TandemNode node(String name, NetnsHosts.Host host) {
        return add(name, host.namespace(), "0.0.0.0");
    }

    /** Starts {@code count} loopback nodes named node1..nodeN and waits until each is live. */
    public List<TandemNode> startLocal(int count) {
        List<TandemNode> started = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            started.add(node("node" + i).start());
        }
        started.forEach(n -> n.awaitLive(Duration.ofSeconds(60)));
        return started;
    }

    public Path root() {
        return root;
    }

    private TandemNode add(String name, String namespace, String httpHost) {
        try {
            TandemNode node = new TandemNode(name, Files.createDirectories(root.resolve(name)), namespace, httpHost);
            nodes.add(node);
            return node;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        for (TandemNode node : nodes) {
            System.err.println("===== log of " + node.name() + " (" + node.log() + ") =====");
            System.err.println(node.logText());
        }
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        testFailed(context, cause);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
    }

    @Override
    public void afterEach(ExtensionContext context) {
        nodes.forEach(TandemNode::stop);
    }
}
