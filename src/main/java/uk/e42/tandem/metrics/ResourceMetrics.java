package uk.e42.tandem.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.LongStream;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.device.ResourceSnapshot;
import uk.e42.tandem.node.ResourceManager;
import uk.e42.tandem.state.DiskState;
import uk.e42.tandem.state.Drbd9ConnectionState;
import uk.e42.tandem.state.ReplicationState;
import uk.e42.tandem.state.ResourceState;
import uk.e42.tandem.state.Role;

/**
 * Per resource, volume and peer, under drbd-reactor's Prometheus names where it has one (so its
 * Grafana dashboard and alerts work), states as its "enums" mode writes them: one series per
 * possible value, 1 for the current one. What drbd-reactor has no metric for is named tandem_*.
 * Labels: {@code name} (resource), {@code volume}, {@code conn_name} (the peer's host).
 */
@ApplicationScoped
public class ResourceMetrics {
    /** Histogram bucket bounds: a LAN round trip (100 µs) up to a link about to time out (DRBD's timeout 6 s). */
    private static final Duration[] ACK_LATENCY_BUCKETS = LongStream.of(100, 250, 500, 1_000, 2_500, 5_000, 10_000,
            25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 6_000_000)
            .mapToObj(micros -> Duration.of(micros, ChronoUnit.MICROS)).toArray(Duration[]::new);
    private final ResourceManager manager;
    private final MeterRegistry registry;

    public ResourceMetrics(ResourceManager manager, MeterRegistry registry) {
        this.manager = manager;
        this.registry = registry;
    }

    void register(@Observes StartupEvent start) {
        Gauge.builder("drbd.resource.resources", manager, m -> m.all().size())
                .description("Number of resources").register(registry);
        for (Resource resource : manager.all()) {
            register(resource);
        }
    }

    private void register(Resource r) {
        Tags res = Tags.of("name", r.name());
        Tags dev = res.and("volume", String.valueOf(r.volumeConfig().number()));
        for (Role role : Role.values()) {
            state("drbd.resource.role", "DRBD role of the resource", res, r, role.drbdName(), s -> s.role() == role);
        }
        gauge("drbd.resource.suspended", "Boolean whether the resource is suspended", res, r,
                s -> s.state().isSuspended() ? 1 : 0);
        for (DiskState disk : DiskState.values()) {
            if (disk != DiskState.DUNKNOWN) {
                state("drbd.device.state", "DRBD device state", dev, r, disk.drbdName(), s -> s.disk() == disk);
            }
        }
        gauge("drbd.device.size.bytes", "Device size in bytes", dev, r, ResourceSnapshot::sizeBytes);
        gauge("drbd.device.upperpending", "Number of block I/O requests forwarded to Tandem, but not yet answered",
                dev, r, ResourceSnapshot::upperPending);
        counter("drbd.device.written.bytes", "Net data written on local disk", dev, r, s -> (double) s.writtenBytes());
        counter("drbd.device.read.bytes", "Net data read from local disk", dev, r, s -> (double) s.readBytes());
        counter("drbd.device.alwrites", "Number of updates of the activity log area of the meta data", dev, r,
                ResourceSnapshot::alWrites);
        counter("drbd.device.bmwrites", "Number of updates of the bitmap area of the meta data", dev, r,
                ResourceSnapshot::bmWrites);
        if (r.config().peer().isEmpty()) {
            return;
        }
        Tags conn = res.and("conn_name", r.config().peer().get().nodeName());
        Tags peerDev = conn.and("volume", String.valueOf(r.volumeConfig().number()));
        for (Drbd9ConnectionState c : Drbd9ConnectionState.values()) {
            state("drbd.connection.state", "DRBD connection state", conn, r, c.drbdName(),
                    s -> s.conn().connection() == c);
        }
        for (ReplicationState rs : ReplicationState.values()) {
            state("tandem.peerdevice.replication.state", "Replication state towards the peer", peerDev, r,
                    rs.drbdName(), s -> s.conn().replication() == rs);
        }
        for (DiskState disk : DiskState.values()) {
            state("tandem.peerdevice.peer.disk.state", "The peer's disk state as this node knows it", peerDev, r,
                    disk.drbdName(), s -> s.pdsk() == disk);
        }
        gauge("drbd.peerdevice.outofsync.bytes", "Number of bytes currently out of sync with this peer, according"
                + " to the bitmap", peerDev, r, s -> s.outOfSyncBits() * 4096.0);
        // drbd-reactor's two, from DRBD's per-connection statistics: they restart at zero with every
        // connection. Micrometer would append _total to a counter, so they stay gauges under its names.
        gauge("drbd.peerdevice.sent.bytes", "Number of bytes sent to this peer on the current connection", peerDev,
                r, ResourceSnapshot::sentBytes);
        gauge("drbd.peerdevice.received.bytes", "Number of bytes received from this peer on the current connection",
                peerDev, r, ResourceSnapshot::receivedBytes);
        counter("tandem.peerdevice.sent.bytes", "Data bytes sent to this peer (writes and resync) since the daemon"
                + " started, across reconnects", peerDev, r, ResourceSnapshot::sentBytesTotal);
        counter("tandem.peerdevice.received.bytes", "Data bytes received from this peer (writes and resync) since the"
                + " daemon started, across reconnects", peerDev, r, ResourceSnapshot::receivedBytesTotal);
        Timer ackLatency = Timer.builder("tandem.peerdevice.ack.latency")
                .description("Replicated writes from hand-over to the peer link until their protocol's condition:"
                        + " A taken by the link, B received by the peer (RecvAck), C written by the peer (WriteAck)")
                .tags(peerDev.and("protocol", String.valueOf(r.config().net().protocol())))
                .serviceLevelObjectives(ACK_LATENCY_BUCKETS).register(registry);
        r.onAckLatency(nanos -> ackLatency.record(nanos, TimeUnit.NANOSECONDS));
        gauge("tandem.peerdevice.resync.rate.bytes.per.second", "Resync rate over the last marks, 0 without a resync",
                peerDev, r, s -> s.sync().map(sync -> sync.recentKibPerSec() * 1024.0).orElse(0.0));
    }

    /** drbd-reactor's enums: the metric's own name is the label that carries the state's name. */
    private void state(String name, String help, Tags tags, Resource r, String value,
            Predicate<ResourceState> current) {
        Gauge.builder(name, r, x -> current.test(x.state()) ? 1 : 0).description(help)
                .tags(tags.and(name.replace('.', '_'), value)).register(registry);
    }

    private void gauge(String name, String help, Tags tags, Resource r, ToDoubleFunction<ResourceSnapshot> value) {
        Gauge.builder(name, r, x -> value.applyAsDouble(x.snapshot())).description(help).tags(tags)
                .register(registry);
    }

    private void counter(String name, String help, Tags tags, Resource r, ToDoubleFunction<ResourceSnapshot> value) {
        FunctionCounter.builder(name, r, x -> value.applyAsDouble(x.snapshot())).description(help).tags(tags)
                .register(registry);
    }
}
