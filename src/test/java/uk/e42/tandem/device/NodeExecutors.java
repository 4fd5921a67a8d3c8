package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** This node's resource executor and the peer's, for tests that run the replication classes on them. */
final class NodeExecutors implements AutoCloseable {
    final ScheduledExecutorService self = Executors.newSingleThreadScheduledExecutor();
    final ScheduledExecutorService peer = Executors.newSingleThreadScheduledExecutor();

    /** Polls {@code condition} until it holds; fails after 10 s naming {@code what} it waited for. */
    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    @Override
    public void close() {
        self.shutdownNow();
        peer.shutdownNow();
    }
}
