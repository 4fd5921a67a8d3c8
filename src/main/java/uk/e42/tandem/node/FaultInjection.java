package uk.e42.tandem.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.disk.FaultPlan;
import uk.e42.tandem.disk.FaultyBlockStore;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * The daemon's fault injection, a testing aid that is off by default ({@code tandem.fault-injection.enabled}):
 * each backing disk is opened inside a {@link FaultyBlockStore}, and the plan file
 * ({@code tandem.fault-injection.file}) is read at every attach and re-read whenever it changes, so a
 * test makes a disk fail (and heals it) by rewriting one file. Device-mapper's error target does the
 * same for the kernel's DRBD; Tandem runs where device-mapper may not exist.
 */
final class FaultInjection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FaultInjection.class);
    private static final long POLL_MILLIS = 100;

    private final Path file;
    private final Map<String, FaultyBlockStore> disks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("tandem-fault-injection").daemon().factory());
    private volatile FaultPlan plan = FaultPlan.NONE;
    private FileTime seenModified;
    private long seenSize = -1;

    private FaultInjection(Path file) {
        this.file = file;
    }

    /** Starts watching, with a loud warning; empty when fault injection is off. */
    static Optional<FaultInjection> start(TandemConfig.FaultInjectionSettings settings) {
        if (!settings.enabled()) {
            return Optional.empty();
        }
        Path file = settings.file().orElseThrow(() -> new IllegalArgumentException(
                "tandem.fault-injection.enabled=true needs tandem.fault-injection.file (TANDEM_FAULT_INJECTION_FILE):"
                        + " the plan file that names the failing ranges"));
        LOG.warnf("*** FAULT INJECTION IS ENABLED (tandem.fault-injection.enabled=true): backing disks fail on"
                + " purpose as %s says. This is a testing aid; never run a production node with it. ***", file);
        FaultInjection injection = new FaultInjection(file);
        injection.reload();
        injection.watcher.scheduleWithFixedDelay(injection::reload, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        return Optional.of(injection);
    }

    /** The disk opener for one resource: its backing disk inside a fault-injecting store. */
    Resource.DiskOpener opener(String resource) {
        return path -> {
            FaultyBlockStore store = new FaultyBlockStore(FileBlockStore.open(path));
            plan.applyTo(resource, store);
            disks.put(resource, store);
            return store;
        };
    }

    private synchronized void reload() {
        try {
            FileTime modified = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
            long size = modified == null ? -1 : Files.size(file);
            if (Objects.equals(modified, seenModified) && size == seenSize) {
                return;
            }
            seenModified = modified;
            seenSize = size;
            FaultPlan next = modified == null ? FaultPlan.NONE : FaultPlan.parse(Files.readString(file),
                    file.toString());
            plan = next;
            disks.forEach((resource, store) -> {
                next.applyTo(resource, store);
                LOG.warnf("fault injection: %s: %s", resource, next.faults(resource).isEmpty() ? "healthy"
                        : next.faults(resource).toString());
            });
        } catch (IOException | IllegalArgumentException e) {
            LOG.errorf("fault injection: %s is not applied: %s", file, e.getMessage());
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
