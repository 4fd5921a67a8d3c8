package uk.e42.tandem.device;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;
import uk.e42.tandem.config.ResolvedResource;
import uk.e42.tandem.config.ResourceChanges;
import uk.e42.tandem.config.ResolvedVolume;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.meta.GenerationUuids;
import uk.e42.tandem.meta.LastKnownBackingDevice;
import uk.e42.tandem.meta.LastKnownBackingDevices;
import uk.e42.tandem.meta.MdFlags;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.meta.MetaDataException;
import uk.e42.tandem.meta.MetaDataTool;
import uk.e42.tandem.meta.MetaDisk;
import uk.e42.tandem.meta.Superblock;
import uk.e42.tandem.node.HostPort;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.CramHmac;
import uk.e42.tandem.peer.DeviceReport;
import uk.e42.tandem.peer.HandshakeConfig;
import uk.e42.tandem.peer.HandshakeDecider;
import uk.e42.tandem.peer.HandshakeOutcome;
import uk.e42.tandem.peer.HandshakeViews;
import uk.e42.tandem.peer.LinkSecurity;
import uk.e42.tandem.peer.NetOptions;
import uk.e42.tandem.peer.PeerConnection;
import uk.e42.tandem.peer.PeerConnector;
import uk.e42.tandem.peer.PeerSession;
import uk.e42.tandem.peer.v1.AfterSbPolicy;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.FeatureFlag;
import uk.e42.tandem.peer.v1.Protocol;
import uk.e42.tandem.peer.v1.ProtocolParams;
import uk.e42.tandem.peer.v1.Sizes;
import uk.e42.tandem.peer.v1.SyncParams;
import uk.e42.tandem.peer.v1.Uuids;
import uk.e42.tandem.state.ConnectionState;
import uk.e42.tandem.state.DeviceSize;
import uk.e42.tandem.state.DiskAttach;
import uk.e42.tandem.state.DiskState;
import uk.e42.tandem.state.Fencing;
import uk.e42.tandem.state.IoErrorPolicy;
import uk.e42.tandem.state.ReadSource;
import uk.e42.tandem.state.ResourceState;
import uk.e42.tandem.state.Role;
import uk.e42.tandem.state.StateChangeResult;
import uk.e42.tandem.state.StateContext;
import uk.e42.tandem.state.StateRules;
import uk.e42.tandem.sync.OnlineVerify;
import uk.e42.tandem.sync.ResyncRateController;
import uk.e42.tandem.sync.RrConflict;
import uk.e42.tandem.sync.SplitBrainResolver;
import uk.e42.tandem.sync.SyncDecision;

/**
 * One resource on this node, as DRBD keeps a device: its state, its backing disk and meta data,
 * its connection to the peer and the replication on it. All state changes run on the resource's
 * one executor thread and are checked by {@link StateRules}; everyone else reads immutable
 * snapshots. The admin verbs (up, primary, ...) end up here.
 */
public final class Resource implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Resource.class);
    private static final Duration VERB_TIMEOUT = Duration.ofSeconds(60);

    /** A refused admin request, with DRBD's code and text ("(-2) Need access to UpToDate data"). */
    public static final class StateChangeRefused extends Exception {
        private final StateChangeResult result;

        StateChangeRefused(StateChangeResult result) {
            super(result.failureMessage());
            this.result = result;
        }

        StateChangeRefused(String message) {
            super(message);
            this.result = null;
        }

        public Optional<StateChangeResult> result() {
            return Optional.ofNullable(result);
        }
    }

    /** Opens the backing disk (a file or block device; tests may wrap it in a fault-injecting store). */
    public interface DiskOpener {
        BlockStore open(Path path) throws IOException;
    }

    /** Hears about every applied state change (events2, metrics). */
    public interface Listener {
        void changed(Resource resource);
    }

    /** Replaced only by {@code adjust}, on the executor. */
    private volatile ResolvedResource config;
    private volatile ResolvedVolume volumeConfig;
    private final String nodeName;
    private final LinkSecurity security;
    private final IntSupplier openers;
    private final DiskOpener diskOpener;
    private final HeapBudget heapBudget;
    private final LastKnownBackingDevices lastKnownDevices;
    private final IoErrorPolicy ioErrorPolicy;
    private final ScheduledExecutorService executor;
    private final SecureRandom random = new SecureRandom();
    private final StripeLocks stripes = new StripeLocks();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final PeerStatistics peerStatistics = new PeerStatistics();
    private final String logPrefix;

    private volatile ResourceState state = ResourceState.INITIAL;
    /** Exclusive while the session or the state changes; ReplicatedVolume's writes hold it shared to skip the peer. */
    private final ReentrantReadWriteLock peerRouting = new ReentrantReadWriteLock();
    private BlockStore disk;
    private BlockStore metaStore;
    private volatile MetaData meta;
    private volatile ReplicatedVolume volume;
    private PeerConnector connector;
    private volatile ReplicationSession session;
    private Uuids peerUuids;
    /** The peer's last P_SIZES (handshake or resize); null while not connected. */
    private Sizes peerSizes;
    /** Our resize waits for the peer's answer to its P_SIZES. */
    private CompletableFuture<Sizes> resizeAnswer;
    private SyncDecision.Handshake pendingDecision;
    /**
     * DRBD's ed_uuid: the generation of the data a Primary exposes. A Primary that loses its disk keeps
     * it (and follows the peer's current UUID while connected), so it reconnects only to that data.
     */
    private long exposedDataUuid;
    private boolean discardMyData;
    private boolean crashedPrimary;
    /**
     * DRBD's runtime disk_conf->disk_size (u_size), in sectors; 0: none. {@code disk { size }} at attach; set
     * by {@code resize} (its --size, else the configured size), by the peer's resize, and at connect to the
     * smaller non-zero one of both nodes', so that a shrink by {@code resize --size} is not undone by the
     * next connect.
     */
    private long userSectors;

    /**
     * @param openers    how many NBD clients hold the volume open (DRBD refuses {@code secondary} then)
     * @param diskOpener opens the backing disk at each attach
     * @param heapBudget the node's heap for its volumes' bitmaps and resync buffers, shared by its resources
     * @param lastKnownDevices where the backing device's last known size is kept (check-resize)
     */
    public Resource(ResolvedResource config, String nodeName, LinkSecurity security, IntSupplier openers,
            DiskOpener diskOpener, HeapBudget heapBudget, LastKnownBackingDevices lastKnownDevices) {
        if (config.volumes().size() != 1) {
            throw new IllegalArgumentException("resource " + config.name() + " has " + config.volumes().size()
                    + " volumes; Tandem serves exactly one volume per resource so far");
        }
        this.config = config;
        this.volumeConfig = config.volumes().get(0);
        this.nodeName = nodeName;
        this.security = security;
        this.openers = openers;
        this.diskOpener = diskOpener;
        this.heapBudget = heapBudget;
        this.lastKnownDevices = lastKnownDevices;
        this.ioErrorPolicy = IoErrorPolicy.fromConfigName(volumeConfig.diskOptions().onIoError());
        this.logPrefix = config.name();
        this.executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("tandem-" + config.name()).daemon().factory());
    }

    public String name() {
        return config.name();
    }

    public ResolvedResource config() {
        return config;
    }

    public ResolvedVolume volumeConfig() {
        return volumeConfig;
    }

    public ResourceState state() {
        return state;
    }

    /** The volume NBD serves; empty while Diskless. */
    public Optional<ReplicatedVolume> volume() {
        return Optional.ofNullable(volume);
    }

    public Optional<MetaData> metaData() {
        return Optional.ofNullable(meta);
    }

    /** Hears each replicated write's latency in nanoseconds, from hand-over to what its protocol waits for. */
    public void onAckLatency(LongConsumer listener) {
        peerStatistics.onAckLatency(listener);
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    /** Everything status shows, read without stopping the resource. */
    public ResourceSnapshot snapshot() {
        ResourceState s = state;
        MetaData md = meta;
        ReplicatedVolume v = volume;
        ReplicationSession rs = session;
        SyncMarks marks = rs == null ? null : rs.marks();
        boolean verifying = s.conn() == ConnectionState.VERIFY_S || s.conn() == ConnectionState.VERIFY_T;
        if (marks != null && md != null && !verifying) {
            // The SyncSource has no ticker of its own: its marks advance when someone looks.
            marks.record(md.bitmap().cardinality());
        }
        Optional<ResourceSnapshot.Sync> sync = marks == null || !s.conn().showsProgress() ? Optional.empty()
                : Optional.of(new ResourceSnapshot.Sync(marks.totalBits(),
                        verifying ? marks.leftBits() : md.bitmap().cardinality(), marks.recentKibPerSec(),
                        marks.averageKibPerSec(), marks.hasWant() ? OptionalLong.of(marks.want())
                                : OptionalLong.empty(), marks.stalled()));
        return new ResourceSnapshot(s, v == null ? 0 : v.size(), md == null ? 0 : md.bitmap().cardinality(),
                v == null ? 0 : v.readBytes.sum(), v == null ? 0 : v.writtenBytes.sum(), md == null ? 0 : md.alWrites(),
                md == null ? 0 : md.bmWrites(), v == null ? 0 : v.upperPending.sum(),
                peerStatistics.sentThisConnection(), peerStatistics.receivedThisConnection(),
                peerStatistics.sentTotal(), peerStatistics.receivedTotal(),
                rs == null ? 0 : rs.replicator.pendingAcks(), rs == null ? 0 : rs.applier.unacked(),
                rs == null ? 0 : rs.replicator.epochsInFlight(), sync);
    }

    /** Whether the resource's executor runs a no-op within {@code bound}: liveness, not a stuck verb or handshake. */
    public boolean answers(Duration bound) {
        try {
            executor.submit(() -> { }).get(bound.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    Optional<ReplicationSession> session() {
        return Optional.ofNullable(session);
    }

    /** Why a client may not write now, or empty when it may (only a Primary with data writes). */
    public Optional<String> writeRefusal() {
        ResourceState s = state;
        if (s.role() != Role.PRIMARY) {
            return Optional.of("resource " + name() + " is " + s.role() + " on " + nodeName
                    + "; only the Primary accepts writes (tandem primary " + name() + ")");
        }
        return Optional.empty();
    }

    /** Where a read is served from: local disk, the peer, or nowhere (see {@link ReadSource}). */
    private ReadSource.Decision readRoute(long offset, long length) {
        MetaData md = meta;
        return ReadSource.decide(state, session != null, () -> md != null && rangeInSync(md, offset, length), name(),
                nodeName, offset, length);
    }

    private static boolean rangeInSync(MetaData md, long offset, long length) {
        long first = offset >>> uk.e42.tandem.meta.Bitmap.BLOCK_SHIFT;
        long last = (offset + Math.max(length, 1) - 1) >>> uk.e42.tandem.meta.Bitmap.BLOCK_SHIFT;
        long dirty = md.bitmap().nextSetBit(first);
        return dirty < 0 || dirty > last;
    }

    // ---------------------------------------------------------------------------------------------
    // Admin verbs

    /** {@code drbdadm up}: attach, then connect. */
    public void up() throws StateChangeRefused {
        attach();
        connect(false);
    }

    public void attach() throws StateChangeRefused {
        ReplicatedVolume exposed = volume;
        if (exposed == null || !exposed.diskless() || state.role() != Role.PRIMARY) {
            call(() -> {
                if (state.disk() != DiskState.DISKLESS) {
                    throw new StateChangeRefused(name() + ": already attached (disk " + state.disk() + ")");
                }
                attachToConnection();
                return null;
            });
            return;
        }
        attachToDisklessPrimary(exposed);
    }

    /**
     * On the executor: a Diskless node that is not Primary attaches its disk. Connected (its disk failed
     * under on-io-error detach while the peer stayed), the link is re-established so that both nodes run
     * the sync handshake with the disk's UUIDs: the peer started a new data generation when the disk
     * went, so uuid_compare picks a bitmap resync of what this disk missed.
     */
    private void attachToConnection() throws StateChangeRefused {
        boolean connected = session != null;
        if (connected) {
            disconnectNow();
        }
        attachNow(false);
        if (connected) {
            connectNow(false);
        }
    }

    /**
     * A Diskless Primary gets its disk back. Its data is older than the peer's, so the disk must not
     * serve a read before the sync handshake has made it SyncTarget: I/O is suspended (as DRBD does
     * around an attach), the link is re-established so that both nodes run the handshake with the new
     * disk's UUIDs (the peer started a new data generation when this disk failed, so uuid_compare picks
     * a bitmap resync), and I/O resumes once the connection is back.
     */
    private void attachToDisklessPrimary(ReplicatedVolume exposed) throws StateChangeRefused {
        exposed.suspendIo();
        try {
            boolean reconnecting = call(() -> {
                if (state.disk() != DiskState.DISKLESS) {
                    throw new StateChangeRefused(name() + ": already attached (disk " + state.disk() + ")");
                }
                if (session == null) {
                    LOG.errorf("%s: Can only attach to the data we lost last: this Diskless Primary's current data"
                            + " is on the peer, which is not connected", logPrefix);
                    throw new StateChangeRefused(name() + ": Can only attach to the data we lost last (see kernel"
                            + " log). This Diskless Primary's data is on the peer: connect to it first, or make this"
                            + " node Secondary.");
                }
                disconnectNow();
                attachNow(true);
                connectNow(false);
                return true;
            });
            if (reconnecting) {
                awaitReconnect();
            }
        } finally {
            exposed.resumeIo();
        }
    }

    /** Polls (off the executor) until the link is back and the sync handshake has decided. */
    private void awaitReconnect() throws StateChangeRefused {
        long deadline = System.nanoTime() + VERB_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (call(() -> session != null && state.conn().isAtLeast(ConnectionState.CONNECTED))) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StateChangeRefused(name() + ": interrupted while waiting for the peer");
            }
        }
        throw new StateChangeRefused(name() + ": attached, but the peer did not reconnect within "
                + VERB_TIMEOUT.toSeconds() + " s; I/O resumes without it (" + state.conn().drbdName() + ")");
    }

    /**
     * @param behindExposedData the disk comes back to a Diskless Primary: DRBD negotiates it and makes it
     *                          SyncTarget, so whatever its flags say it is Inconsistent here and must not
     *                          count as Consistent in the sync handshake
     */
    private void attachNow(boolean behindExposedData) throws StateChangeRefused {
        Path diskPath = Path.of(volumeConfig.disk());
        boolean handedOver = false;
        DiskAttach.Outcome outcome;
        try {
            openDisk(diskPath);
            Superblock sb = meta.superblock();
            crashedPrimary = sb.has(MdFlags.PRIMARY_IND) || sb.has(MdFlags.CRASHED_PRIMARY);
            outcome = DiskAttach.attach(state, new DiskAttach.MetaDataFlags(sb.has(MdFlags.CONSISTENT),
                    sb.has(MdFlags.WAS_UP_TO_DATE), sb.has(MdFlags.PEER_OUT_DATED), sb.has(MdFlags.PRIMARY_IND),
                    sb.has(MdFlags.CRASHED_PRIMARY), sb.has(MdFlags.FULL_SYNC), sb.has(MdFlags.AL_DISABLED)),
                    fencing());
            ReplicatedVolume.Local local = new ReplicatedVolume.Local(disk, meta);
            ReplicatedVolume exposed = volume;
            if (exposed != null && (meta.usableSectors() << 9) < exposed.size()) {
                throw new StateChangeRefused(name() + ": Low.dev. smaller than requested DRBD-dev. size. ("
                        + (exposed.size() >>> 9) + " sectors are exposed, the disk has " + "room for fewer)");
            }
            // From here on the volume serves I/O from this disk: a later failure must not close it under it.
            handedOver = true;
            if (exposed == null) {
                volume = new ReplicatedVolume(name(), local, stripes, () -> session, peerRouting.readLock(),
                        this::readRoute, this::localIoError);
            } else {
                exposed.attachLocal(local);
            }
        } finally {
            if (!handedOver) {
                // Whatever failed, an exception included: the disk closed, its heap given back.
                closeQuietly();
            }
        }
        change("attach", s -> behindExposedData ? outcome.state().withDisk(DiskState.INCONSISTENT) : outcome.state(),
                true);
        persistFlags();
    }

    /** Opens the backing device and its meta data, with room in the heap for its bitmap. */
    private void openDisk(Path diskPath) throws StateChangeRefused {
        MetaDisk location = metaDisk(volumeConfig.metaDisk());
        try {
            disk = diskOpener.open(diskPath);
            Optional<String> noRoom = heapBudget.reserve(name(), disk.size(), config.net().maxBuffers());
            if (noRoom.isPresent()) {
                throw new StateChangeRefused(name() + ": cannot attach " + diskPath + ": " + noRoom.get());
            }
            Path metaPath = location.device(diskPath);
            metaStore = metaPath.equals(diskPath) ? disk : FileBlockStore.open(metaPath);
            meta = MetaData.open(metaStore, location, disk.size(), lastKnown(location));
            if (meta.formerPlace().isPresent()) {
                // As drbdadm's attach does (drbdmeta apply-al moves meta data found at the last known place).
                MetaData.FormerPlace former = meta.formerPlace().get();
                LOG.warnf("%s: the internal meta data of %s is where it was placed for a device of %d bytes (%s);"
                        + " the device has %d bytes now. Moving the internal meta data to its proper location",
                        logPrefix, diskPath, former.deviceBytes(), former.interruptedResize()
                                ? "a resize did not finish moving it" : "the last known size", disk.size());
                try {
                    meta.moveToEnd();
                } catch (IOException e) {
                    throw new StateChangeRefused(name() + ": cannot attach " + diskPath + ": its internal meta data,"
                            + " found where it was placed for a device of " + former.deviceBytes() + " bytes, cannot"
                            + " move to the end: " + e.getMessage() + ". The old or the moved meta data stays"
                            + " findable; do not run create-md.");
                }
                LOG.infof("%s: Internal drbd meta data successfully moved.", logPrefix);
            }
            userSectors = volumeConfig.diskOptions().size();
            MetaData.AttachReport report = meta.attach(volumeConfig.diskOptions().alExtents());
            if (!report.describe().isEmpty()) {
                LOG.infof("%s: %s", logPrefix, report.describe());
            }
            recordLastKnown();
        } catch (IOException e) {
            String why = e instanceof NoSuchFileException ? "no such device or file: " + e.getMessage()
                    : e.getMessage();
            throw new StateChangeRefused(name() + ": cannot attach " + diskPath + " with meta-disk " + location
                    + ": " + why);
        }
    }

    /** The backing device's last known size, for internal meta data; none when unreadable (logged). */
    private Optional<LastKnownBackingDevice> lastKnown(MetaDisk location) {
        if (!(location instanceof MetaDisk.Internal)) {
            return Optional.empty();
        }
        try {
            return lastKnownDevices.load(volumeConfig.minor());
        } catch (IOException e) {
            LOG.warnf("%s: ignoring the last known size of %s: %s", logPrefix, volumeConfig.disk(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Records the size the internal meta data is placed for, as drbd-utils does after attach and resize. A
     * record that cannot be written costs only check-resize's help after an offline grow: logged, not fatal.
     */
    private void recordLastKnown() {
        int minor = volumeConfig.minor();
        try {
            if (meta.layout().internal()) {
                lastKnownDevices.save(minor, new LastKnownBackingDevice(meta.layout().metaDeviceBytes(),
                        volumeConfig.disk(), meta.superblock().deviceUuid()));
            } else {
                lastKnownDevices.delete(minor);
            }
        } catch (IOException e) {
            LOG.warnf("%s: cannot record the backing device's size in %s (%s); should %s grow while the resource is"
                    + " down, tandem check-resize will not find its meta data", logPrefix,
                    lastKnownDevices.file(minor), e.getMessage(), volumeConfig.disk());
        }
    }

    /**
     * {@code drbdadm check-resize}: on an attached device {@code resize} (drbdsetup resize and check-resize),
     * on a detached one drbdmeta's check-resize, which moves internal meta data found at the backing
     * device's last known size to the end of the grown device.
     *
     * @return what was done, for the admin's reply
     */
    public String checkResize() throws StateChangeRefused {
        Optional<List<String>> detached = call(() -> {
            if (meta != null) {
                return Optional.empty();
            }
            try {
                return Optional.of(MetaDataTool.checkResize(Path.of(volumeConfig.disk()),
                        metaDisk(volumeConfig.metaDisk()), lastKnownDevices, volumeConfig.minor()));
            } catch (IOException e) {
                throw new StateChangeRefused(name() + ": check-resize: " + e.getMessage());
            }
        });
        if (detached.isPresent()) {
            detached.get().forEach(line -> LOG.infof("%s: %s", logPrefix, line));
            return String.join("\n", detached.get());
        }
        return resize(new ResizeRequest(0, false, false));
    }

    /** {@code drbdadm connect [--discard-my-data]}: start listening and dialing the peer. */
    public void connect(boolean discardMyData) throws StateChangeRefused {
        call(() -> {
            connectNow(discardMyData);
            return null;
        });
    }

    private void connectNow(boolean discardMyData) throws StateChangeRefused {
        if (connector != null) {
            throw new StateChangeRefused(name() + ": already connecting or connected ("
                    + state.conn().drbdName() + "); disconnect first");
        }
        if (config.peer().isEmpty()) {
            throw new StateChangeRefused(name() + ": the configuration names no peer for " + nodeName);
        }
        this.discardMyData = discardMyData;
        connector = new PeerConnector(endpoints(), netOptions(), security, handshakeConfig(), this::deviceReport,
                this::decide, executor, new ConnectorListener());
        try {
            connector.start();
        } catch (IOException e) {
            connector.close();
            connector = null;
            throw new StateChangeRefused(name() + ": cannot listen on " + config.address().hostPort() + ": "
                    + e.getMessage());
        }
        change("connect", s -> s.withConn(ConnectionState.UNCONNECTED), true);
        change("connect", s -> s.withConn(ConnectionState.WF_CONNECTION), true);
        connector.connect();
    }

    /** {@code drbdadm disconnect}: drop the connection, become StandAlone. */
    public void disconnect() throws StateChangeRefused {
        call(() -> {
            disconnectNow();
            return null;
        });
    }

    private void disconnectNow() {
        if (connector != null) {
            connector.close();
            connector = null;
        }
        connectionLost();
        change("disconnect", s -> s.withConn(ConnectionState.STAND_ALONE), true);
    }

    /** {@code drbdadm primary [--force]}. */
    public void primary(boolean force) throws StateChangeRefused {
        call(() -> {
            if (state.role() == Role.PRIMARY) {
                return null;
            }
            ResourceState requested = state.withRole(Role.PRIMARY);
            if (force && state.disk().isBelow(DiskState.UP_TO_DATE) && state.disk().isAbove(DiskState.DISKLESS)) {
                requested = requested.withDisk(DiskState.UP_TO_DATE);
            }
            ResourceState target = requested;
            soft("primary", s -> target);
            boolean peerDiskReachable = state.conn().isAtLeast(ConnectionState.CONNECTED)
                    && state.pdsk().isAbove(DiskState.FAILED);
            persistUuids(meta.uuids().promote(peerDiskReachable, force, random.nextLong()));
            persistFlags();
            if (session != null) {
                sendReport();
                if (force) {
                    considerResync(state.peer(), state.pdsk());
                }
            }
            return null;
        });
    }

    /** {@code drbdadm secondary}: refused while NBD clients hold the volume open. */
    public void secondary() throws StateChangeRefused {
        flushVolume();
        call(() -> {
            if (state.role() == Role.SECONDARY) {
                return null;
            }
            soft("secondary", s -> s.withRole(Role.SECONDARY));
            demoted();
            persistFlags();
            if (session != null) {
                sendReport();
            }
            return null;
        });
    }

    /** On the executor, after the role became Secondary: a Diskless node exposes no volume any more. */
    private void demoted() {
        if (meta != null) {
            persistUuids(meta.uuids().demote());
        }
        ReplicatedVolume exposed = volume;
        if (exposed != null && exposed.diskless()) {
            volume = null;
        }
    }

    /**
     * Before a demotion: everything written is durable here and, with protocol B or C, on the peer.
     * Runs on the caller's thread: the peer's barrier ack arrives through the executor. A Diskless
     * Primary without its peer has nowhere to flush to, and nothing it could lose by demoting.
     */
    private void flushVolume() throws StateChangeRefused {
        ReplicatedVolume v = volume;
        if (v != null && v.diskless() && session == null) {
            return;
        }
        if (v != null && state.role() == Role.PRIMARY) {
            try {
                v.flush();
            } catch (IOException e) {
                throw new StateChangeRefused(name() + ": flushing before the role change failed: " + e.getMessage());
            }
        }
    }

    /** {@code drbdadm detach}: the node becomes Diskless. */
    public void detach() throws StateChangeRefused {
        CompletableFuture<Void> diskless = call(() -> {
            if (state.disk() == DiskState.DISKLESS) {
                return null;
            }
            if (state.role() == Role.PRIMARY) {
                // DRBD: the disk goes Failed (refused when the peer has no UpToDate data), then Diskless.
                soft("detach", s -> s.withDisk(DiskState.FAILED));
                return failDisk(false);
            }
            detachNow();
            return null;
        });
        if (diskless != null) {
            try {
                diskless.get(VERB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new StateChangeRefused(name() + ": detach did not finish: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StateChangeRefused(name() + ": interrupted");
            }
        }
    }

    /**
     * From any I/O thread: the local disk or its meta data failed a request. The resource applies
     * on-io-error on its executor (DRBD's __drbd_chk_io_error): detach (after the local-io-error handler
     * with call-local-io-error), or with pass_on go Inconsistent and keep the disk.
     */
    private void localIoError(IoErrorPolicy.Source source, long offset, long length, IOException error) {
        executor.execute(() -> {
            DiskState before = state.disk();
            DiskState after = ioErrorPolicy.diskAfter(before, source);
            String where = switch (source) {
                case READ -> "read of sector " + (offset >>> 9) + "+" + length;
                case WRITE -> length == 0 ? "flush" : "write of sector " + (offset >>> 9) + "+" + length;
                case META -> "meta data I/O";
            };
            if (after == before) {
                LOG.errorf("%s: Local IO failed in %s: %s", logPrefix, where, error.getMessage());
                return;
            }
            if (after == DiskState.FAILED) {
                LOG.errorf("%s: Local IO failed in %s. Detaching... (%s)", logPrefix, where, error.getMessage());
                change("on-io-error", s -> s.withDisk(DiskState.FAILED), true);
                failDisk(ioErrorPolicy == IoErrorPolicy.CALL_LOCAL_IO_ERROR);
                return;
            }
            LOG.errorf("%s: Local IO failed in %s. (%s)", logPrefix, where, error.getMessage());
            change("on-io-error", s -> s.withDisk(after), true);
            persistFlags();
            sendState();
            considerResync(state.peer(), state.pdsk());
        });
    }

    /**
     * On the executor, the disk just went Failed: no new request touches it, the peer hears of it, and
     * once the requests still using it are done the meta data is written (if the device still takes it)
     * and the node goes Diskless. A Primary keeps its volume and serves it from the peer.
     *
     * @return completes when the node is Diskless
     */
    private CompletableFuture<Void> failDisk(boolean callHandler) {
        CompletableFuture<Void> diskless = new CompletableFuture<>();
        ReplicatedVolume exposed = volume;
        if (exposed != null) {
            exposed.dropLocal();
        }
        if (state.role() == Role.PRIMARY && meta != null) {
            // From here on the peer's current UUID is the exposed data's (peerUuids follows it).
            exposedDataUuid = meta.uuids().current();
        }
        ReplicationSession s = session;
        if (s != null && s.abortResyncAsTarget()) {
            // DRBD's words; the peer hears of the Failed disk below and ends its side
            LOG.warnf("%s: Resync aborted: the local disk failed", logPrefix);
        }
        sendState();
        if (callHandler) {
            runHandler("local-io-error");
        }
        Thread.ofVirtual().start(() -> {
            if (exposed != null) {
                exposed.awaitLocalIdle();
            }
            executor.execute(() -> {
                finishDetach();
                diskless.complete(null);
            });
        });
        return diskless;
    }

    private void finishDetach() {
        if (state.disk() != DiskState.FAILED) {
            return;
        }
        try {
            meta.detach();
        } catch (IOException | RuntimeException e) {
            LOG.errorf("%s: writing the bitmap and meta data of the failed disk failed: %s", logPrefix,
                    e.getMessage());
        }
        closeQuietly();
        if (state.role() != Role.PRIMARY) {
            volume = null;
        }
        change("detach", s -> s.withDisk(DiskState.DISKLESS), true);
        sendState();
    }

    private void detachNow() throws IOException {
        if (connector != null) {
            disconnectNow();
        }
        change("detach", s -> s.withDisk(DiskState.DISKLESS), true);
        volume = null;
        if (meta != null) {
            meta.detach();
        }
        closeQuietly();
    }

    /** {@code drbdadm down}: disconnect and detach (refused while the volume is open or Primary). */
    public void down() throws StateChangeRefused {
        flushVolume();
        call(() -> {
            if (state.role() == Role.PRIMARY) {
                soft("down", s -> s.withRole(Role.SECONDARY));
                demoted();
            }
            disconnectNow();
            if (meta != null) {
                detachNow();
            }
            return null;
        });
    }

    /** {@code pause-sync} / {@code resume-sync}. */
    public void pauseSync(boolean pause) throws StateChangeRefused {
        call(() -> {
            if (state.userIsp() == pause) {
                throw new StateChangeRefused(pause ? "Resync already paused" : "Resync not paused");
            }
            change(pause ? "pause-sync" : "resume-sync", s -> s.withUserIsp(pause), true);
            if (session != null) {
                session.pauseResync(pause || state.peerIsp());
                sendReport();
            }
            return null;
        });
    }

    /** {@code drbdadm outdate}: only while not connected. */
    public void outdate() throws StateChangeRefused {
        call(() -> {
            if (state.disk().isBelow(DiskState.OUTDATED)) {
                throw new StateChangeRefused(name() + ": disk is " + state.disk() + "; nothing to outdate");
            }
            soft("outdate", s -> s.withDisk(DiskState.OUTDATED));
            persistFlags();
            return null;
        });
    }

    /**
     * {@code new-current-uuid [--clear-bitmap]}: a new data generation; with {@code --clear-bitmap} on a
     * pair that has just been created, both sides agree their (empty) disks are in sync.
     */
    public void newCurrentUuid(boolean clearBitmap) throws StateChangeRefused {
        call(() -> {
            if (meta == null) {
                throw new StateChangeRefused(name() + ": no disk attached");
            }
            GenerationUuids uuids = meta.uuids();
            boolean primary = state.role() == Role.PRIMARY;
            if (clearBitmap) {
                meta.bitmap().clearAll();
                meta.writeWholeBitmap();
            }
            if (clearBitmap && uuids.isJustCreated() && session != null) {
                persistUuids(uuids.skipInitialSync(random.nextLong(), primary));
                change("new-current-uuid", s -> s.withDisk(DiskState.UP_TO_DATE).withPdsk(DiskState.UP_TO_DATE), true);
                persistFlags();
                sendUuids(true);
                sendState();
                return null;
            }
            if (session != null) {
                throw new StateChangeRefused(name() + ": new-current-uuid while connected works only with"
                        + " --clear-bitmap on a just-created pair (skip the initial sync)");
            }
            persistUuids(uuids.newCurrentUuid(random.nextLong(), primary));
            return null;
        });
    }

    /**
     * {@code drbdadm verify [--start S] [--stop S]}: online verify with verify-alg as VerifyS; the peer
     * becomes VerifyT. Differences are marked out of sync on both nodes and move at the next resync
     * (disconnect and connect), as in DRBD; verify itself moves no data.
     */
    public void verify(long startSector, long stopSector) throws StateChangeRefused {
        call(() -> {
            StateRules.Outcome outcome = allowed(s -> s.withConn(ConnectionState.VERIFY_S));
            if (state.disk() != DiskState.UP_TO_DATE || state.pdsk() != DiskState.UP_TO_DATE) {
                throw new StateChangeRefused(StateChangeResult.SS_NO_UP_TO_DATE_DISK);
            }
            OnlineVerify.Range range;
            try {
                range = OnlineVerify.range(startSector, stopSector, meta.usableSectors());
            } catch (IllegalArgumentException e) {
                throw new StateChangeRefused(name() + ": " + e.getMessage());
            }
            apply("verify", outcome);
            LOG.infof("%s: Starting Online Verify from sector %d", logPrefix, range.startSector());
            session.startVerifyAsSource(range, Digests.named(config.net().verifyAlg().orElseThrow()));
            return null;
        });
    }

    /**
     * {@code drbdadm invalidate}: this node's data is discarded. StandAlone and Secondary: every block is
     * marked out of sync and the disk becomes Inconsistent (the next connect syncs it all). Otherwise a
     * full sync from the peer starts now, which needs a connection and an UpToDate peer.
     */
    public void invalidate() throws StateChangeRefused {
        invalidate(true);
    }

    /**
     * {@code drbdadm invalidate-remote}: the peer's data is discarded. StandAlone and Primary: every block
     * is marked out of sync for the peer (the next connect syncs it all). Otherwise a full sync to the
     * peer starts now, which needs a connection and UpToDate data here.
     */
    public void invalidateRemote() throws StateChangeRefused {
        invalidate(false);
    }

    /** DRBD's drbd_adm_invalidate ({@code local}) and drbd_adm_invalidate_peer. */
    private void invalidate(boolean local) throws StateChangeRefused {
        String verb = local ? "invalidate" : "invalidate-remote";
        call(() -> {
            if (state.conn() == ConnectionState.STAND_ALONE && state.role() == (local ? Role.SECONDARY : Role.PRIMARY)) {
                soft(verb, s -> local ? s.withDisk(DiskState.INCONSISTENT) : s.withPdsk(DiskState.INCONSISTENT));
                markAllOutOfSync();
                persistFlags();
                return null;
            }
            StateRules.Outcome outcome = allowed(s -> s.withConn(local ? ConnectionState.STARTING_SYNC_T
                    : ConnectionState.STARTING_SYNC_S));
            if ((local ? state.pdsk() : state.disk()) != DiskState.UP_TO_DATE) {
                throw new StateChangeRefused(StateChangeResult.SS_NO_UP_TO_DATE_DISK);
            }
            apply(verb, outcome);
            // Before our bitmap: the peer must be in its bitmap exchange when it arrives (the data stream keeps order).
            session.sendInvalidated(local, false);
            fullSync(verb, local ? SyncDecision.Outcome.BECOME_SYNC_TARGET : SyncDecision.Outcome.BECOME_SYNC_SOURCE);
            return null;
        });
    }

    /** What {@code resize} asks for: {@code --size} in sectors (0: none), and its two flags. */
    public record ResizeRequest(long userSectors, boolean assumePeerHasSpace, boolean assumeClean) {
    }

    /**
     * {@code drbdadm resize}: reads the backing device's size again and gives the device the size both
     * nodes agree on (DRBD's drbd_adm_resize and drbd_determine_dev_size). While connected the peer gets
     * our P_SIZES, reads its own backing size, applies the agreed size and answers with its sizes; then
     * this node applies the same size. A grown area is out of sync on both and the Primary syncs it to
     * the other node, unless {@code --assume-clean}. Without a connection the peer's size is unknown, so
     * the device grows only with {@code --assume-peer-has-space}.
     *
     * @return what changed, for the admin's reply
     */
    public String resize(ResizeRequest request) throws StateChangeRefused {
        ResizeStart start = call(() -> {
            refuseResize(DeviceSize.stateRefusal(state));
            long mine = capacitySectors();
            long user = userSectors(request);
            // Before the peer hears of it: room for the largest size this resize can end at (what this disk
            // offers, or --size below that), so that the peer never applies a size this node then cannot.
            HeapBudget.Change room = heapFor("cannot resize", (user != 0 ? Math.min(user, mine) : mine) << 9,
                    config.net().maxBuffers());
            if (session == null) {
                return new ResizeStart(mine, room, null);
            }
            resizeAnswer = new CompletableFuture<>();
            try {
                session.sendSizes(Sizes.newBuilder().setBackingSectors(mine).setUserSectors(user)
                        .setCurrentSectors(meta.usableSectors()).setMaxBioSize(1 << 20)
                        .setForced(request.assumePeerHasSpace()).setNoResync(request.assumeClean()).setResize(true)
                        .build());
            } catch (RuntimeException e) {
                room.close();
                throw e;
            }
            return new ResizeStart(mine, room, resizeAnswer);
        });
        try (HeapBudget.Change room = start.room()) {
            Sizes answered = start.answer() == null ? null : awaitResizeAnswer(start.answer());
            return call(() -> {
                resizeAnswer = null;
                refuseResize(DeviceSize.stateRefusal(state));
                boolean connected = answered != null && session != null;
                if (connected && answered.getBackingSectors() == 0) {
                    // The peer answers without a size when it refused (no disk, resync, meta data, heap).
                    throw new StateChangeRefused(name() + ": the peer refused the resize and kept its size; its log"
                            + " says why (the peer's resize is refused here / failed here)");
                }
                long before = meta.usableSectors();
                // The capacity this node told the peer: the decision on both sides rests on the same figures.
                DeviceSize.Decision decision = DeviceSize.decide(new DeviceSize.Request(start.mine(),
                        connected ? answered.getBackingSectors() : 0, before, userSectors(request), connected,
                        request.assumePeerHasSpace()));
                decision.log().forEach(line -> LOG.infof("%s: %s", logPrefix, line));
                refuseResize(decision.refusal());
                if (connected && answered.getCurrentSectors() != decision.sectors()) {
                    throw new StateChangeRefused(name() + ": the peer kept its device at "
                            + answered.getCurrentSectors() + " sectors where this node decided " + decision.sectors()
                            + "; see the peer's log");
                }
                userSectors = userSectors(request);
                if (decision.sectors() == before) {
                    return "size unchanged: " + before + " sectors";
                }
                applySize(decision.sectors(), !request.assumeClean());
                room.keep();
                if (connected && decision.sectors() > before) {
                    resyncGrownArea(request.assumeClean());
                }
                return "resized from " + before + " to " + decision.sectors() + " sectors";
            });
        }
    }

    /** DRBD's receive_sizes: the user size the peer's sizes agree on becomes this node's ("Peer sets u_size"). */
    private void peerSetsUserSize(long sectors) {
        if (sectors != userSectors) {
            LOG.infof("%s: Peer sets u_size to %d sectors (old: %d)", logPrefix, sectors, userSectors);
            userSectors = sectors;
        }
    }

    /** Phase one of a resize: this node's capacity as sent to the peer, the heap it holds, the peer's answer to come. */
    private record ResizeStart(long mine, HeapBudget.Change room, CompletableFuture<Sizes> answer) {
    }

    private Sizes awaitResizeAnswer(CompletableFuture<Sizes> answer) throws StateChangeRefused {
        try {
            return answer.get(VERB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new StateChangeRefused(name() + ": the peer did not answer the resize within "
                    + VERB_TIMEOUT.toSeconds() + " s (" + (e.getCause() == null ? e : e.getCause()).getMessage()
                    + "); nothing changed here, but the peer may have taken the new size. Compare size: in `tandem"
                    + " status --statistics " + name() + "` on both nodes; if they differ, run `tandem resize "
                    + name() + "` here again (with the same options) once the peer answers: it finds the peer"
                    + " at the new size and follows");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StateChangeRefused(name() + ": interrupted while waiting for the peer's sizes");
        }
    }

    /**
     * Room in the node's heap for this volume at {@code volumeBytes}; closing it without
     * {@link HeapBudget.Change#keep()} gives back what the volume held before.
     */
    private HeapBudget.Change heapFor(String what, long volumeBytes, int maxBuffers) throws StateChangeRefused {
        try {
            return heapBudget.change(name(), volumeBytes, maxBuffers);
        } catch (HeapBudget.NoRoom e) {
            throw new StateChangeRefused(name() + ": " + what + ": " + e.getMessage());
        }
    }

    private void refuseResize(Optional<DeviceSize.Refusal> refusal) throws StateChangeRefused {
        if (refusal.isPresent()) {
            throw new StateChangeRefused(name() + ": " + refusal.get().message());
        }
    }

    /** {@code --size}, else drbd.conf's {@code disk { size }}, in sectors; 0 when neither is set. */
    private long userSectors(ResizeRequest request) {
        return request.userSectors() != 0 ? request.userSectors() : volumeConfig.diskOptions().size();
    }

    /** What this node's backing device offers now, read again from the device. */
    private long capacitySectors() throws StateChangeRefused {
        try {
            return meta.capacitySectors(disk.refreshSize());
        } catch (IOException e) {
            throw new StateChangeRefused(name() + ": cannot read the size of the backing device: " + e.getMessage());
        }
    }

    /**
     * The device gets {@code sectors}: meta data first (crash-safe), then what NBD and status show. A meta
     * data write that fails is a local I/O error (on-io-error); the size is then what the meta data says.
     */
    private void applySize(long sectors, boolean markNewOutOfSync) throws StateChangeRefused {
        long before = meta.usableSectors();
        MetaData.Resized resized;
        try (HeapBudget.Change room = heapFor("cannot resize", sectors << 9, config.net().maxBuffers())) {
            try {
                resized = meta.resize(disk.size(), sectors, markNewOutOfSync);
            } catch (MetaDataException e) {
                throw new StateChangeRefused(name() + ": cannot resize: " + e.getMessage());
            } catch (IOException e) {
                localIoError(IoErrorPolicy.Source.META, 0, 0, e);
                if (meta.usableSectors() != sectors) {
                    throw new StateChangeRefused(name() + ": resize failed, the device stays at "
                            + meta.usableSectors() + " sectors: " + e.getMessage());
                }
                // A shrink in place is done once its superblock is durable; the bitmap pages follow later.
                resized = new MetaData.Resized(before, sectors, 0, false);
            }
            room.keep();
        }
        if (sectors < before) {
            LOG.warnf("%s: shrinking the device with --size: the data beyond sector %d is no longer part of it",
                    logPrefix, sectors);
        }
        if (resized.moved()) {
            LOG.infof("%s: moved the internal meta data to the end of the grown backing device", logPrefix);
            recordLastKnown();
        }
        volume.resize(sectors << 9);
        LOG.infof("%s: size = %s (%d KB)", logPrefix, humanSize(sectors << 9), sectors / 2);
        listeners.forEach(l -> l.changed(this));
    }

    /** DRBD's {@code ppsize}: the size in the largest unit that keeps it at least 1. */
    private static String humanSize(long bytes) {
        String[] units = {"KB", "MB", "GB", "TB", "PB"};
        long value = bytes >> 10;
        int unit = 0;
        while (value >= 10_000 && unit < units.length - 1) {
            value >>= 10;
            unit++;
        }
        return value + " " + units[unit];
    }

    /**
     * DRBD's resync_after_online_grow: the Primary becomes SyncSource of the new area, which both nodes
     * have marked out of sync; the usual bitmap exchange opens the resync.
     */
    private void resyncGrownArea(boolean assumeClean) {
        if (assumeClean) {
            LOG.infof("%s: Resync of new storage suppressed with --assume-clean", logPrefix);
            return;
        }
        boolean source = state.role() == Role.PRIMARY;
        session.sendInvalidated(!source, true);
        LOG.infof("%s: resync of the new storage as %s", logPrefix, source ? "SyncSource" : "SyncTarget");
        startBitmapExchange("resize", source ? SyncDecision.Outcome.BECOME_SYNC_SOURCE
                : SyncDecision.Outcome.BECOME_SYNC_TARGET);
    }

    /**
     * The peer runs resize: read our backing size again, apply the agreed size as the peer will, and
     * answer with our sizes (DRBD's receive_sizes while connected).
     */
    private void peerResizes(Sizes theirs) {
        long before = meta == null ? 0 : meta.usableSectors();
        long current = before;
        long mine = 0;
        try {
            Optional<DeviceSize.Refusal> refusal = DeviceSize.stateRefusal(state);
            if (refusal.isPresent()) {
                LOG.warnf("%s: the peer's resize is refused here: %s", logPrefix, refusal.get().message());
            } else {
                mine = capacitySectors();
                DeviceSize.Decision decision = DeviceSize.decide(new DeviceSize.Request(mine,
                        theirs.getBackingSectors(), before, theirs.getUserSectors(), true, theirs.getForced()));
                decision.log().forEach(line -> LOG.infof("%s: %s", logPrefix, line));
                if (decision.refusal().isEmpty()) {
                    peerSetsUserSize(theirs.getUserSectors());
                }
                if (decision.refusal().isEmpty() && decision.sectors() != before) {
                    applySize(decision.sectors(), !theirs.getNoResync());
                    current = decision.sectors();
                }
            }
        } catch (StateChangeRefused e) {
            LOG.errorf("%s: the peer's resize failed here: %s", logPrefix, e.getMessage());
        }
        session.sendSizes(Sizes.newBuilder().setBackingSectors(mine).setUserSectors(theirs.getUserSectors())
                .setCurrentSectors(current).setMaxBioSize(1 << 20).build());
    }

    /**
     * {@code drbdadm adjust}: make the running resource match {@code wanted}, re-read from the
     * configuration file. An unconfigured resource is brought up with it. Net option changes reach the
     * peer through a new handshake (the connection is re-established, as a changed protocol must be
     * agreed again); disk options apply at once (resync-rate and the controller to a running resync
     * or verify too); StandAlone with a peer configured means connect; Diskless with a disk means attach.
     * Changes of devices, addresses or the peer are refused while the resource runs.
     *
     * @return what changed, one line each (empty when nothing did)
     */
    public List<String> adjust(ResolvedResource wanted) throws StateChangeRefused {
        return call(() -> {
            ResourceChanges changes = ResourceChanges.between(config, wanted);
            boolean unconfigured = state.disk() == DiskState.DISKLESS && connector == null;
            if (!changes.structural().isEmpty() && !unconfigured) {
                throw new StateChangeRefused(name() + ": cannot apply " + String.join(", ", changes.structural())
                        + " to the running resource; run `tandem down " + name() + "` and then `tandem up " + name()
                        + "`");
            }
            if (wanted.volumes().size() != 1) {
                throw new StateChangeRefused(name() + ": the configuration now has " + wanted.volumes().size()
                        + " volumes; Tandem serves exactly one volume per resource so far");
            }
            if (disk != null) {
                // max-buffers may have grown. Kept at once: from here on the new configuration is the running one.
                heapFor("cannot adjust", disk.size(), wanted.net().maxBuffers()).keep();
            }
            List<String> applied = new ArrayList<>();
            changes.structural().forEach(c -> applied.add(c));
            changes.net().forEach(c -> applied.add("net: " + c));
            changes.disk().forEach(c -> applied.add("disk: " + c));
            applied.forEach(line -> LOG.infof("%s: adjust: %s", logPrefix, line));
            config = wanted;
            volumeConfig = wanted.volumes().get(0);
            if (changes.disk().stream().anyMatch(c -> c.startsWith("al-extents "))) {
                LOG.infof("%s: adjust: al-extents takes effect at the next attach", logPrefix);
            }
            if (session != null) {
                session.useSettings(sessionSettings());
            }
            if (state.disk() == DiskState.DISKLESS && !"none".equals(volumeConfig.disk())) {
                if (volume != null && volume.diskless() && state.role() == Role.PRIMARY) {
                    // Its disk must come back behind suspended I/O and a new handshake, which the attach verb does.
                    applied.add("attach: not here; a Diskless Primary gets its disk back with tandem attach "
                            + name());
                    LOG.warnf("%s: adjust: Diskless Primary; run `tandem attach %s` to attach the disk", logPrefix,
                            name());
                } else {
                    applied.add("attach");
                    attachToConnection();
                }
            }
            if (connector != null && !changes.net().isEmpty()) {
                applied.add("reconnect: net options are agreed in the handshake");
                LOG.infof("%s: adjust: reconnecting so that the peer agrees to the new net options", logPrefix);
                disconnectNow();
                connectNow(false);
            } else if (connector == null && config.peer().isPresent()) {
                applied.add("connect");
                connectNow(false);
            }
            return List.copyOf(applied);
        });
    }

    private void markAllOutOfSync() throws IOException {
        LOG.infof("%s: Writing the whole bitmap: every block out of sync", logPrefix);
        meta.bitmap().setAll();
        meta.writeWholeBitmap();
    }

    /** A full sync started by invalidate on either node: every bit set, then the usual bitmap exchange. */
    private void fullSync(String why, SyncDecision.Outcome outcome) {
        LOG.infof("%s: Writing the whole bitmap, full sync required after %s.", logPrefix, why);
        meta.bitmap().setAll();
        writeBitmap();
        startBitmapExchange(why, outcome);
    }

    private boolean verifying() {
        return state.conn() == ConnectionState.VERIFY_S || state.conn() == ConnectionState.VERIFY_T;
    }

    // ---------------------------------------------------------------------------------------------
    // Connection and sync handshake

    private PeerConnector.Endpoints endpoints() {
        var peer = config.peer().orElseThrow();
        return new PeerConnector.Endpoints(name(), nodeName, HostPort.parse("address", config.address().hostPort()),
                peer.nodeName(), HostPort.parse("address", peer.address().hostPort()));
    }

    private NetOptions netOptions() {
        var net = config.net();
        return new NetOptions(net.connectInt(), net.pingInt(), net.pingTimeout(), net.timeout(), net.koCount(),
                net.sndbufSize() == 0 ? NetOptions.AUTOTUNE_SNDBUF : Math.min(net.sndbufSize(), NetOptions.MAX_SNDBUF));
    }

    private HandshakeConfig handshakeConfig() {
        var net = config.net();
        Optional<CramHmac> auth = net.cramHmacAlg().map(alg -> CramHmac.of(alg,
                net.sharedSecret().orElseThrow(() -> new IllegalArgumentException(name()
                        + ": cram-hmac-alg is set but shared-secret is not; set both in the net section")), random));
        ProtocolParams protocol = ProtocolParams.newBuilder()
                .setProtocol(switch (net.protocol()) {
                    case 'A' -> Protocol.PROTOCOL_A;
                    case 'B' -> Protocol.PROTOCOL_B;
                    default -> Protocol.PROTOCOL_C;
                })
                .setAfterSb0Pri(wirePolicy(net.afterSb0pri()))
                .setAfterSb1Pri(wirePolicy(net.afterSb1pri()))
                .setAfterSb2Pri(wirePolicy(net.afterSb2pri()))
                .setAllowTwoPrimaries(net.allowTwoPrimaries())
                .setDiscardMyData(discardMyData)
                .build();
        var disk = volumeConfig.diskOptions();
        SyncParams sync = SyncParams.newBuilder().setResyncRate((int) disk.resyncRate())
                .setVerifyAlg(net.verifyAlg().orElse("")).setCsumsAlg(net.csumsAlg().orElse(""))
                .setCPlanAhead(disk.cPlanAhead()).setCDelayTarget(disk.cDelayTarget())
                .setCFillTarget((int) disk.cFillTarget()).setCMaxRate((int) disk.cMaxRate()).build();
        return HandshakeConfig.of(FeatureFlag.FEATURE_TRIM_VALUE | FeatureFlag.FEATURE_WRITE_ZEROES_VALUE, auth,
                protocol, sync);
    }

    private AfterSbPolicy wirePolicy(String configured) {
        return AfterSbPolicy.forNumber(uk.e42.tandem.sync.AfterSbPolicy.fromConfig(configured, nodeName).wireValue());
    }

    /** Our P_SIZES, P_UUIDS and P_STATE, taken at each handshake. */
    private DeviceReport deviceReport() {
        return new DeviceReport(sizes(), uuidsPacket(false), statePacket());
    }

    /**
     * DRBD's drbd_send_sizes at connect: what the backing device offers now (d_size, read again so that a
     * device grown while down counts), {@code disk { size }} (u_size) and the current size (c_size).
     */
    private Sizes sizes() {
        long current = meta == null ? 0 : meta.usableSectors();
        long offered = current;
        if (meta != null) {
            try {
                offered = meta.capacitySectors(disk.refreshSize());
            } catch (IOException e) {
                // Grown too little to move the meta data, or unreadable: offer what is in use; resize says why.
                offered = current;
            }
        }
        return Sizes.newBuilder().setBackingSectors(offered).setUserSectors(userSectors)
                .setCurrentSectors(current).setMaxBioSize(1 << 20).build();
    }

    private Uuids uuidsPacket(boolean skipInitialSync) {
        GenerationUuids u = meta == null ? new GenerationUuids(0, 0, 0, 0) : meta.uuids();
        return Uuids.newBuilder().setCurrent(u.current()).setBitmap(u.bitmap()).setHistory0(u.history0())
                .setHistory1(u.history1()).setBitsSet(meta == null ? 0 : meta.bitmap().cardinality())
                .setDiscardMyData(discardMyData).setCrashedPrimary(crashedPrimary)
                .setInconsistent(state.disk() == DiskState.INCONSISTENT).setSkipInitialSync(skipInitialSync).build();
    }

    private uk.e42.tandem.peer.v1.State statePacket() {
        ResourceState s = state;
        return uk.e42.tandem.peer.v1.State.newBuilder()
                .setRole(uk.e42.tandem.peer.v1.Role.forNumber(s.role().wireValue()))
                .setPeerRole(uk.e42.tandem.peer.v1.Role.forNumber(s.peer().wireValue()))
                .setConn(uk.e42.tandem.peer.v1.ConnState.forNumber(s.conn().wireValue()))
                .setDisk(uk.e42.tandem.peer.v1.DiskState.forNumber(s.disk().wireValue()))
                .setPeerDisk(uk.e42.tandem.peer.v1.DiskState.forNumber(s.pdsk().wireValue()))
                .setUserIsp(s.userIsp()).build();
    }

    /** drbd_sync_handshake on this side, from both views; the peer runs the mirror image. */
    private HandshakeDecider.Verdict decide(HandshakeViews views) {
        DeviceReport peer = views.peer().device();
        if (meta == null || DiskState.fromWire(peer.state().getDiskValue()) == DiskState.DISKLESS) {
            return disklessConnect(peer);
        }
        long current = meta.usableSectors();
        Sizes ours = views.local().device().sizes();
        // DRBD's size negotiation (receive_sizes before the sync handshake): the smaller disk wins, so both
        // grown disks grow the device, but never by cutting off data that counts.
        long user = DeviceSize.userSizeAtConnect(ours.getUserSectors(), peer.sizes().getUserSectors());
        DeviceSize.Decision sized = DeviceSize.atConnect(ours.getBackingSectors(), peer.sizes().getBackingSectors(),
                current, user, state.disk().isAtLeast(DiskState.OUTDATED) || state.role() == Role.PRIMARY);
        sized.log().forEach(line -> LOG.infof("%s: %s", logPrefix, line));
        if (sized.refusal().isPresent()) {
            return HandshakeDecider.Verdict.standAlone("The peer's disk size is too small! (" + sized.sectors() + " < "
                    + current + " sectors); this node's data (disk " + state.disk().drbdName() + ", role "
                    + state.role().drbdName() + ") fills " + current + " sectors: give the peer a backing device "
                    + "at least that large, then tandem connect " + name());
        }
        peerSetsUserSize(user);
        if (sized.sectors() > current) {
            LOG.infof("%s: both backing devices offer more (%d and %d sectors): the device grows from %d to %d"
                    + " sectors; the new area is out of sync", logPrefix, ours.getBackingSectors(),
                    peer.sizes().getBackingSectors(), current, sized.sectors());
            try {
                applySize(sized.sectors(), true);
            } catch (StateChangeRefused e) {
                return HandshakeDecider.Verdict.standAlone(e.getMessage());
            }
        }
        peerUuids = peer.uuids();
        SyncDecision.Handshake decision = syncHandshake(peer.uuids(), Role.fromWire(peer.state().getRoleValue()),
                DiskState.fromWire(peer.state().getDiskValue()));
        decision.log().forEach(line -> LOG.infof("%s: %s", logPrefix, line));
        runHandlers(decision);
        if (decision.outcome() == SyncDecision.Outcome.DISCONNECT) {
            String last = decision.log().isEmpty() ? "sync handshake refused" : decision.log().getLast();
            return HandshakeDecider.Verdict.standAlone(last);
        }
        if (sized.sectors() < current) {
            // Only once the connection goes ahead: a refused peer must not cost this device its size.
            LOG.infof("%s: the peer's disk is smaller (%d < %d sectors): this Inconsistent device shrinks to it",
                    logPrefix, sized.sectors(), current);
            try {
                applySize(sized.sectors(), false);
            } catch (StateChangeRefused e) {
                return HandshakeDecider.Verdict.standAlone(e.getMessage());
            }
        }
        pendingDecision = decision;
        return HandshakeDecider.Verdict.proceed(decision.outcome().nextConn().drbdName() + " by rule "
                + decision.rule());
    }

    /**
     * DRBD runs the sync handshake only when both nodes have a disk (receive_state): with a Diskless
     * node on either side the pair connects without a resync, the Diskless one reading and writing
     * through the other. A Diskless Primary connects only to the data it exposes (receive_uuids: the
     * peer's current UUID must be its ed_uuid), so it never serves another generation than before.
     */
    private HandshakeDecider.Verdict disklessConnect(DeviceReport peer) {
        long peerCurrent = peer.uuids().getCurrent();
        if (meta == null && state.role() == Role.PRIMARY && exposedDataUuid != 0
                && (exposedDataUuid & ~1L) != (peerCurrent & ~1L)) {
            String refusal = String.format("Can only connect to data with current UUID=%016X", exposedDataUuid);
            LOG.errorf("%s: %s", logPrefix, refusal);
            return HandshakeDecider.Verdict.standAlone(refusal);
        }
        peerUuids = peer.uuids();
        if (meta == null) {
            exposedDataUuid = peerCurrent;
        }
        pendingDecision = null;
        LOG.infof("%s: no sync handshake: %s Diskless", logPrefix, meta == null ? "this node is" : "the peer is");
        return HandshakeDecider.Verdict.proceed(ConnectionState.CONNECTED.drbdName() + " without a disk on "
                + (meta == null ? "this node" : "the peer"));
    }

    /** drbd_sync_handshake from this node's state and the peer's last P_UUIDS and P_STATE. */
    private SyncDecision.Handshake syncHandshake(Uuids pu, Role peerRole, DiskState peerDisk) {
        var self = new SyncDecision.NodeView(meta.uuids(), meta.bitmap().cardinality(), state.role(), state.disk(),
                state.disk(), crashedPrimary, discardMyData);
        long flags = (pu.getDiscardMyData() ? SyncDecision.UUID_FLAG_DISCARD_MY_DATA : 0)
                | (pu.getCrashedPrimary() ? SyncDecision.UUID_FLAG_CRASHED_PRIMARY : 0)
                | (pu.getInconsistent() ? SyncDecision.UUID_FLAG_INCONSISTENT : 0);
        var other = SyncDecision.NodeView.ofPeer(new GenerationUuids(pu.getCurrent(), pu.getBitmap(),
                pu.getHistory0(), pu.getHistory1()), pu.getBitsSet(), flags, peerRole, peerDisk);
        var net = config.net();
        var policy = new SyncDecision.Policy(new SplitBrainResolver.Policies(
                uk.e42.tandem.sync.AfterSbPolicy.fromConfig(net.afterSb0pri(), nodeName),
                uk.e42.tandem.sync.AfterSbPolicy.fromConfig(net.afterSb1pri(), nodeName),
                uk.e42.tandem.sync.AfterSbPolicy.fromConfig(net.afterSb2pri(), nodeName)),
                RrConflict.fromConfig(net.rrConflict()), net.alwaysAsbp(), false);
        // DRBD gives RESOLVE_CONFLICTS to the node that accepted the connection; ours is the one that does not dial.
        boolean resolveConflicts = nodeName.compareTo(config.peer().orElseThrow().nodeName()) > 0;
        return SyncDecision.handshake(SyncDecision.HandshakeInput.of(self, other, resolveConflicts, policy));
    }

    /**
     * While connected without a resync, one side was forced to UpToDate ({@code primary --force}) while
     * the other is Inconsistent: DRBD's CONSIDER_RESYNC. Both sides run the sync handshake again on the
     * views they now have; their mirror-image decisions start the full sync.
     */
    private void considerResync(Role peerRole, DiskState peerDisk) {
        if (session == null || state.conn() != ConnectionState.CONNECTED || peerUuids == null || meta == null) {
            return;
        }
        boolean oneSideForced = (state.disk() == DiskState.UP_TO_DATE && peerDisk == DiskState.INCONSISTENT)
                || (state.disk() == DiskState.INCONSISTENT && peerDisk == DiskState.UP_TO_DATE);
        if (!oneSideForced) {
            return;
        }
        SyncDecision.Handshake decision = syncHandshake(peerUuids, peerRole, peerDisk);
        decision.log().forEach(line -> LOG.infof("%s: %s", logPrefix, line));
        runHandlers(decision);
        if (decision.outcome() == SyncDecision.Outcome.DISCONNECT) {
            LOG.errorf("%s: %s", logPrefix, decision.log().isEmpty() ? "resync refused" : decision.log().getLast());
            return;
        }
        startSync(decision);
    }

    private void runHandlers(SyncDecision.Handshake decision) {
        decision.handlers().forEach(handler -> runHandler(handler.configName()));
    }

    /** One drbd.conf handler (split-brain, local-io-error, ...), when configured; never blocks the executor. */
    private void runHandler(String handler) {
        Optional<String> command = config.handler(handler);
        LOG.infof("%s: helper command: %s %s", logPrefix, handler,
                command.map(c -> "-> " + c).orElse("(no handler configured)"));
        command.ifPresent(c -> Thread.ofVirtual().start(() -> Handlers.run(c, name(), handler, handlerEnvironment())));
    }

    /** What drbdadm puts into a handler's environment. */
    private Map<String, String> handlerEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DRBD_RESOURCE", name());
        config.peer().ifPresent(p -> {
            env.put("DRBD_PEER", p.nodeName());
            env.put("DRBD_PEERS", p.nodeName());
        });
        env.put("DRBD_MINOR", Integer.toString(volumeConfig.minor()));
        env.put("DRBD_VOLUME", Integer.toString(volumeConfig.number()));
        return env;
    }

    private final class ConnectorListener implements PeerConnector.Listener {
        @Override
        public void stateChanged(ConnState conn, String reason) {
            switch (conn) {
                case CONN_WF_CONNECTION, CONN_NETWORK_FAILURE, CONN_TIMEOUT, CONN_BROKEN_PIPE, CONN_PROTOCOL_ERROR -> {
                    if (session != null) {
                        LOG.warnf("%s: connection lost: %s", logPrefix, reason);
                    }
                    connectionLost();
                    change(reason, s -> s.withConn(ConnectionState.WF_CONNECTION), true);
                }
                case CONN_STAND_ALONE, CONN_DISCONNECTING -> {
                    connectionLost();
                    LOG.warnf("%s: StandAlone: %s", logPrefix, reason);
                    change(reason, s -> s.withConn(ConnectionState.STAND_ALONE), true);
                    if (connector != null) {
                        connector.close();
                        connector = null;
                    }
                }
                case CONN_WF_REPORT_PARAMS -> change(reason, s -> s.withConn(ConnectionState.WF_REPORT_PARAMS), true);
                default -> {
                }
            }
        }

        @Override
        public PeerSession established(PeerConnection connection, HandshakeOutcome.Connected outcome) {
            SyncDecision.Handshake decision = pendingDecision;
            pendingDecision = null;
            var peerState = outcome.views().peer().device().state();
            peerSizes = outcome.views().peer().device().sizes();
            MetaData md = meta;
            // The peer reaches the agreed data area only, never the internal meta data behind it.
            BlockStore data = disk == null ? null : disk.dataArea(() -> md.usableSectors() << 9);
            ReplicationSession created = new ReplicationSession(connection, executor, meta, data, stripes,
                    sessionSettings(), new SessionEvents(), logPrefix, peerStatistics);
            peerStatistics.connected();
            changePeerRouting(() -> session = created);
            if (discardMyData) {
                discardMyData = false;
                connector.useHandshakeConfig(handshakeConfig());
            }
            if (decision != null && decision.gaveUpPrimary() && state.role() == Role.PRIMARY) {
                change("pri-lost-after-sb", s -> s.withRole(Role.SECONDARY), true);
            }
            change("connected", s -> s.withConn(ConnectionState.CONNECTED)
                    .withPeer(Role.fromWire(peerState.getRoleValue()))
                    .withPdsk(DiskState.fromWire(peerState.getDiskValue())), true);
            if (decision != null) {
                startSync(decision);
            }
            return created;
        }
    }

    private ReplicationSession.Settings sessionSettings() {
        var net = config.net();
        var disk = volumeConfig.diskOptions();
        return new ReplicationSession.Settings(net.protocol(), net.useRle(), net.csumsAlg().map(Digests::named)
                .orElse(null), new ResyncRateController.Settings(disk.resyncRate(), disk.cPlanAhead(),
                disk.cDelayTarget(), disk.cFillTarget(), disk.cMaxRate(), disk.cMinRate(), net.maxBuffers()),
                netOptions().dataWindowBytes());
    }

    private void startSync(SyncDecision.Handshake decision) {
        if (decision.outcome() == SyncDecision.Outcome.NO_SYNC) {
            if (meta.bitmap().cardinality() > 0) {
                LOG.infof("%s: No resync, but %d bits in bitmap!", logPrefix, meta.bitmap().cardinality());
            }
            if (state.disk() == DiskState.UP_TO_DATE || state.pdsk() == DiskState.UP_TO_DATE) {
                crashedPrimary = false;
            }
            return;
        }
        if (decision.fullSync()) {
            LOG.infof("%s: Writing the whole bitmap, full sync required after drbd_sync_handshake.", logPrefix);
            meta.bitmap().setAll();
            writeBitmap();
        }
        startBitmapExchange("sync handshake", decision.outcome());
    }

    /** WFBitMapS/T: the bitmap exchange that opens every resync; the SyncSource side sends first. */
    private void startBitmapExchange(String why, SyncDecision.Outcome outcome) {
        boolean source = outcome == SyncDecision.Outcome.BECOME_SYNC_SOURCE;
        change(why, s -> source
                ? s.withConn(ConnectionState.WF_BIT_MAP_S).withPdsk(DiskState.INCONSISTENT)
                : s.withConn(ConnectionState.WF_BIT_MAP_T).withDisk(DiskState.INCONSISTENT), true);
        persistFlags();
        session.startBitmapExchange(outcome);
    }

    private final class SessionEvents implements ReplicationSession.Owner {
        @Override
        public boolean localDiskUpToDate() {
            return state.disk() == DiskState.UP_TO_DATE;
        }

        @Override
        public boolean peerDiskless() {
            return state.pdsk().isBelow(DiskState.INCONSISTENT);
        }

        @Override
        public boolean localDiskWritable() {
            return state.disk().isAtLeast(DiskState.INCONSISTENT);
        }

        @Override
        public void localWriteFailed(long offset, long length, IOException error) {
            executor.execute(() -> {
                if (meta != null && length > 0 && localDiskWritable()) {
                    // bitmap before the state change: whatever on-io-error does, a resync must bring the block here
                    meta.markOutOfSync(offset, length);
                }
            });
            localIoError(IoErrorPolicy.Source.WRITE, offset, length, error);
        }

        @Override
        public long applicationSectors() {
            ReplicatedVolume v = volume;
            return v == null ? 0 : v.applicationSectors();
        }

        @Override
        public boolean peerPrimary() {
            return state.peer() == Role.PRIMARY;
        }

        @Override
        public void peerDataWritten(long bytes, boolean resync) {
            ReplicatedVolume v = volume;
            if (v != null) {
                v.peerDataWritten(bytes, resync);
            }
        }

        @Override
        public void bitmapExchangeDone(boolean asSource) {
            writeBitmap();
            if (!asSource) {
                change("bitmap exchanged", s -> s.withConn(ConnectionState.WF_SYNC_UUID), true);
                return;
            }
            GenerationUuids.SyncStart start = meta.uuids().syncSourceStart(random.nextLong());
            persistUuids(start.uuids());
            long total = meta.bitmap().cardinality();
            session.sendData(DataPacket.newBuilder().setSyncUuid(uk.e42.tandem.peer.v1.SyncUuid.newBuilder()
                    .setUuid(start.syncUuid())).build());
            change("resync", s -> s.withConn(ConnectionState.SYNC_SOURCE), true);
            session.startResyncAsSource(total, state.conn() == ConnectionState.PAUSED_SYNC_S);
            LOG.infof("%s: Began resync as SyncSource (will sync %d KB [%d bits set]).", logPrefix, total * 4, total);
        }

        @Override
        public void syncUuidReceived(long uuid) {
            if (state.conn() != ConnectionState.WF_SYNC_UUID) {
                protocolViolation("peer sent a sync UUID in state " + state.conn().drbdName());
                return;
            }
            persistUuids(meta.uuids().syncTargetStart(uuid, state.role() == Role.PRIMARY));
            long total = meta.bitmap().cardinality();
            change("resync", s -> s.withConn(ConnectionState.SYNC_TARGET), true);
            session.startResyncAsTarget(total, state.conn() == ConnectionState.PAUSED_SYNC_T);
            LOG.infof("%s: Began resync as SyncTarget (will sync %d KB [%d bits set]).", logPrefix, total * 4, total);
        }

        @Override
        public void resyncFinishedAsTarget(long failedBits) {
            ReplicationSession s = session;
            if (failedBits > 0) {
                LOG.errorf("%s: Resync done with %d failed 4 KiB blocks; the disk stays Inconsistent", logPrefix,
                        failedBits);
                change("resync failed", st -> st.withConn(ConnectionState.CONNECTED), true);
            } else {
                GenerationUuids peer = new GenerationUuids(peerUuids.getCurrent(), peerUuids.getBitmap(),
                        peerUuids.getHistory0(), peerUuids.getHistory1());
                persistUuids(meta.uuids().syncTargetFinished(peer, state.role() == Role.PRIMARY));
                change("resync done", st -> st.withConn(ConnectionState.CONNECTED).withDisk(DiskState.UP_TO_DATE)
                        .withPdsk(DiskState.UP_TO_DATE), true);
                crashedPrimary = false;
                persistFlags();
            }
            writeBitmap();
            logResyncDone(s);
            s.resyncEnded();
            sendUuids(false);
            sendState();
        }

        @Override
        public void peerState(uk.e42.tandem.peer.v1.State peer) {
            Role peerRole = Role.fromWire(peer.getRoleValue());
            DiskState peerDisk = DiskState.fromWire(peer.getDiskValue());
            boolean peerSyncDone = peer.getConn() == uk.e42.tandem.peer.v1.ConnState.CONN_CONNECTED
                    && peerDisk == DiskState.UP_TO_DATE;
            if (state.conn().isSyncState() && state.conn() != ConnectionState.SYNC_TARGET
                    && state.conn() != ConnectionState.PAUSED_SYNC_T && !verifying() && peerSyncDone) {
                persistUuids(meta.uuids().resyncFinished());
                meta.bitmap().clearAll();
                writeBitmap();
                if (session.marks() != null) {
                    session.marks().record(0);
                }
                logResyncDone(session);
                session.resyncEnded();
                change("resync done", s -> s.withConn(ConnectionState.CONNECTED).withPeer(peerRole)
                        .withPdsk(DiskState.UP_TO_DATE), true);
                crashedPrimary = false;
                persistFlags();
                sendUuids(false);
                return;
            }
            DiskState before = state.pdsk();
            boolean wasSyncing = state.conn().isSyncState();
            change("peer state", s -> {
                ResourceState n = s.withPeer(peerRole).withPeerIsp(peer.getUserIsp());
                // During a sync this node keeps the peer's disk as the sync has it, unless that disk failed or
                // was detached: then the resync is over (StateRules aborts it, as DRBD's sanitize_state does).
                return s.conn().isSyncState() && peerDisk.isAbove(DiskState.FAILED) ? n : n.withPdsk(peerDisk);
            }, true);
            if (wasSyncing && !state.conn().isSyncState() && session != null) {
                session.resyncEnded();
            }
            if (before != peerDisk) {
                peerDiskLost(before);
                considerResync(peerRole, peerDisk);
            }
            if (session != null) {
                session.pauseResync(state.userIsp() || state.peerIsp());
            }
        }

        @Override
        public void peerUuids(Uuids uuids) {
            peerUuids = uuids;
            if (state.disk().isBelow(DiskState.INCONSISTENT)) {
                // Without a disk (Failed too) this node exposes the peer's data: ed_uuid follows its current UUID.
                exposedDataUuid = uuids.getCurrent();
            }
            if (meta == null) {
                return;
            }
            if (uuids.getSkipInitialSync() && meta.uuids().isJustCreated()) {
                persistUuids(meta.uuids().adoptSkippedInitialSync(uuids.getCurrent(), state.role() == Role.PRIMARY));
                meta.bitmap().clearAll();
                writeBitmap();
                change("skip initial sync", s -> s.withDisk(DiskState.UP_TO_DATE).withPdsk(DiskState.UP_TO_DATE), true);
                persistFlags();
                sendState();
            }
        }

        @Override
        public void verifyStartReceived(uk.e42.tandem.peer.v1.VerifyStart start) {
            Optional<String> alg = config.net().verifyAlg();
            if (state.conn() != ConnectionState.CONNECTED || alg.isEmpty() || state.disk() != DiskState.UP_TO_DATE) {
                protocolViolation("peer started online verify in state " + state.conn().drbdName() + " disk "
                        + state.disk().drbdName()
                        + (alg.isEmpty() ? " without verify-alg here" : ""));
                return;
            }
            OnlineVerify.Range range;
            try {
                range = OnlineVerify.range(start.getStartSector(), start.getStopSector(), meta.usableSectors());
            } catch (IllegalArgumentException e) {
                protocolViolation("peer's online verify range: " + e.getMessage());
                return;
            }
            change("verify", s -> s.withConn(ConnectionState.VERIFY_T), true);
            LOG.infof("%s: Online Verify start sector: %d", logPrefix, range.startSector());
            session.startVerifyAsTarget(range, Digests.named(alg.get()));
        }

        @Override
        public void verifyFinished(long verifiedBits, long activeMillis) {
            LOG.infof("%s: %s", logPrefix, OnlineVerify.doneLine(verifiedBits, activeMillis, 0));
            OnlineVerify.foundLine(meta.bitmap().cardinality()).ifPresent(line -> LOG.warnf("%s: %s", logPrefix,
                    line));
            writeBitmap();
            session.verifyEnded();
            change("verify done", s -> s.withConn(ConnectionState.CONNECTED), true);
            sendState();
        }

        @Override
        public void peerSizes(Sizes sizes) {
            peerSizes = sizes;
            if (sizes.getResize()) {
                peerResizes(sizes);
            } else if (resizeAnswer != null) {
                resizeAnswer.complete(sizes);
            }
        }

        @Override
        public void peerInvalidated(boolean peerIsTarget, boolean afterGrow) {
            if (afterGrow) {
                if (state.conn() != ConnectionState.CONNECTED) {
                    protocolViolation("peer asked for the resync of the grown area in state "
                            + state.conn().drbdName());
                    return;
                }
                LOG.infof("%s: resync of the new storage as %s", logPrefix, peerIsTarget ? "SyncSource" : "SyncTarget");
                startBitmapExchange("peer's resize", peerIsTarget ? SyncDecision.Outcome.BECOME_SYNC_SOURCE
                        : SyncDecision.Outcome.BECOME_SYNC_TARGET);
                return;
            }
            DiskState needed = peerIsTarget ? state.disk() : state.pdsk();
            if (state.conn() != ConnectionState.CONNECTED || needed != DiskState.UP_TO_DATE) {
                protocolViolation("peer asked for a full sync (" + (peerIsTarget ? "invalidate" : "invalidate-remote")
                        + ") in state " + state.conn().drbdName() + " with " + (peerIsTarget ? "disk " : "peer-disk ")
                        + needed.drbdName());
                return;
            }
            LOG.infof("%s: peer ran %s: full sync as %s", logPrefix, peerIsTarget ? "invalidate" : "invalidate-remote",
                    peerIsTarget ? "SyncSource" : "SyncTarget");
            fullSync(peerIsTarget ? "peer's invalidate" : "peer's invalidate-remote",
                    peerIsTarget ? SyncDecision.Outcome.BECOME_SYNC_SOURCE : SyncDecision.Outcome.BECOME_SYNC_TARGET);
        }

        @Override
        public void protocolViolation(String what) {
            LOG.errorf("%s: %s; dropping the connection", logPrefix, what);
            if (connector != null) {
                connector.disconnect();
                connectionLost();
                change("protocol error", s -> s.withConn(ConnectionState.PROTOCOL_ERROR), true);
                change("reconnect", s -> s.withConn(ConnectionState.UNCONNECTED), true);
                change("reconnect", s -> s.withConn(ConnectionState.WF_CONNECTION), true);
                connector.connect();
            }
        }
    }

    /**
     * The peer's disk failed or was detached while connected: this node now holds the only copy, and a
     * Primary's writes (or the Diskless Primary peer's) are tracked against a new data generation, so
     * that the peer's disk, when it comes back, is found behind by exactly the bitmap (DRBD's
     * after_state_ch "Lost contact to peer's copy of the data").
     */
    private void peerDiskLost(DiskState before) {
        boolean hadCopy = before.isAtLeast(DiskState.INCONSISTENT) && before != DiskState.DUNKNOWN
                && before != DiskState.OUTDATED;
        if (!hadCopy || !state.pdsk().isBelow(DiskState.INCONSISTENT) || meta == null) {
            return;
        }
        if ((state.role() == Role.PRIMARY || state.peer() == Role.PRIMARY) && state.disk() == DiskState.UP_TO_DATE
                && meta.uuids().bitmap() == 0) {
            persistUuids(meta.uuids().peerLost(state.role() == Role.PRIMARY, random.nextLong()));
            sendUuids(false);
        }
        LOG.warnf("%s: the peer's disk is %s; this node holds the only copy of the data", logPrefix,
                state.pdsk().drbdName());
    }

    private void logResyncDone(ReplicationSession s) {
        SyncMarks marks = s == null ? null : s.marks();
        if (marks != null) {
            LOG.infof("%s: Resync done (%d KB, average %d K/sec)", logPrefix, marks.totalBits() * 4,
                    marks.averageKibPerSec());
        }
        if (s != null && config.net().csumsAlg().isPresent()) {
            long equal = s.equalBlocks();
            long sent = s.sentBlocks();
            long all = equal + sent;
            LOG.infof("%s: %d %% had equal checksums, eliminated: %dK; transferred %dK total %dK", logPrefix,
                    all == 0 ? 0 : equal * 100 / all, equal * 4, sent * 4, all * 4);
        }
    }

    /** On the executor: the session is gone; a Primary without its peer starts a new data generation. */
    private void connectionLost() {
        ReplicationSession ended = session;
        session = null;
        pendingDecision = null;
        peerSizes = null;
        if (resizeAnswer != null) {
            resizeAnswer.completeExceptionally(new IOException("the connection to the peer was lost"));
            resizeAnswer = null;
        }
        if (ended == null) {
            return;
        }
        ended.end();
        if (meta == null) {
            return;
        }
        writeBitmap();
        if (state.role() == Role.PRIMARY && state.disk() == DiskState.UP_TO_DATE && meta.uuids().bitmap() == 0) {
            persistUuids(meta.uuids().peerLost(true, random.nextLong()));
        }
        if (state.conn().isSyncState() && state.disk() == DiskState.INCONSISTENT) {
            LOG.warnf("%s: resync interrupted; it continues from the bitmap after reconnecting", logPrefix);
        }
    }

    private void sendReport() {
        sendUuids(false);
        sendState();
    }

    private void sendUuids(boolean skipInitialSync) {
        if (session != null) {
            session.sendData(DataPacket.newBuilder().setUuids(uuidsPacket(skipInitialSync)).build());
        }
    }

    private void sendState() {
        if (session != null) {
            session.sendData(DataPacket.newBuilder().setState(statePacket()).build());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // State, meta data

    private StateContext context() {
        return StateContext.DEFAULT.withNetConfigured(connector != null)
                .withAllowTwoPrimaries(config.net().allowTwoPrimaries()).withFencing(fencing())
                .withVerifyAlgConfigured(config.net().verifyAlg().isPresent())
                .withDeviceOpen(openers.getAsInt() > 0);
    }

    private Fencing fencing() {
        return Fencing.fromConfigName(volumeConfig.diskOptions().fencing());
    }

    /** Whether the rules allow an admin request, without applying it yet; refused in DRBD's words. */
    private StateRules.Outcome allowed(UnaryOperator<ResourceState> request) throws StateChangeRefused {
        StateRules.Outcome outcome = StateRules.setState(state, request.apply(state), context(), false);
        if (!outcome.applied()) {
            throw new StateChangeRefused(outcome.result());
        }
        return outcome;
    }

    /** An admin request: refused in DRBD's words when the rules say no. */
    private void soft(String why, UnaryOperator<ResourceState> request) throws StateChangeRefused {
        StateRules.Outcome outcome = StateRules.setState(state, request.apply(state), context(), false);
        if (!outcome.applied()) {
            throw new StateChangeRefused(outcome.result());
        }
        apply(why, outcome);
    }

    /** A change the node itself makes (connection events, sync milestones): sanitized, never refused by admin rules. */
    private void change(String why, UnaryOperator<ResourceState> request, boolean hard) {
        StateRules.Outcome outcome = StateRules.setState(state, request.apply(state), context(), hard);
        if (!outcome.applied()) {
            if (outcome.result() != StateChangeResult.SS_NOTHING_TO_DO) {
                LOG.warnf("%s: state change for %s refused: %s", logPrefix, why, outcome.result().failureMessage());
            }
            return;
        }
        apply(why, outcome);
    }

    private void apply(String why, StateRules.Outcome outcome) {
        ResourceState before = state;
        changePeerRouting(() -> state = outcome.ns());
        if (!before.equals(state)) {
            LOG.infof("%s: %s", logPrefix, outcome.change().render());
            listeners.forEach(l -> l.changed(this));
        }
    }

    /** Changes what decides whether a write goes to the peer; see ReplicatedVolume's skipPeerDecision. */
    private void changePeerRouting(Runnable change) {
        peerRouting.writeLock().lock();
        try {
            change.run();
        } finally {
            peerRouting.writeLock().unlock();
        }
    }

    private void persistUuids(GenerationUuids uuids) {
        try {
            meta.setUuids(uuids);
        } catch (IOException e) {
            LOG.errorf("%s: writing the meta data failed: %s", logPrefix, e.getMessage());
        }
    }

    /** The superblock flags that tell the next attach what this disk's data is worth. */
    private void persistFlags() {
        if (meta == null) {
            return;
        }
        ResourceState s = state;
        boolean consistent = s.disk().isAtLeast(DiskState.OUTDATED) && s.disk() != DiskState.DUNKNOWN;
        boolean upToDate = s.disk() == DiskState.UP_TO_DATE;
        try {
            meta.updateSuperblock(sb -> sb.withFlag(MdFlags.CONSISTENT, consistent)
                    .withFlag(MdFlags.WAS_UP_TO_DATE, upToDate)
                    .withFlag(MdFlags.PRIMARY_IND, s.role() == Role.PRIMARY)
                    .withFlag(MdFlags.CONNECTED_IND, s.conn().isAtLeast(ConnectionState.CONNECTED))
                    .withFlag(MdFlags.PEER_OUT_DATED, s.pdsk() == DiskState.OUTDATED)
                    .withFlag(MdFlags.CRASHED_PRIMARY, crashedPrimary)
                    .withFlag(MdFlags.FULL_SYNC, false));
        } catch (IOException e) {
            LOG.errorf("%s: writing the meta data flags failed: %s", logPrefix, e.getMessage());
        }
    }

    private void writeBitmap() {
        try {
            // Resync writes clear bits once they reached the page cache; the data must be on stable
            // storage before a bitmap without those bits is, or a crash in between loses them unnoticed.
            disk.flush();
            meta.writeDirtyBitmapPages();
        } catch (IOException e) {
            LOG.errorf("%s: writing the bitmap failed: %s", logPrefix, e.getMessage());
        }
    }

    /** drbd.conf's meta-disk as the meta data code locates it. */
    public static MetaDisk metaDisk(uk.e42.tandem.config.MetaDisk configured) {
        return switch (configured) {
            case uk.e42.tandem.config.MetaDisk.Internal i -> new MetaDisk.Internal();
            case uk.e42.tandem.config.MetaDisk.Flexible f -> new MetaDisk.External(Path.of(f.path()));
            case uk.e42.tandem.config.MetaDisk.Indexed x -> new MetaDisk.Indexed(Path.of(x.path()), x.index());
        };
    }

    private interface Verb<T> {
        T run() throws Exception;
    }

    private <T> T call(Verb<T> verb) throws StateChangeRefused {
        try {
            return executor.submit((Callable<T>) verb::run).get(VERB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StateChangeRefused refused) {
                throw refused;
            }
            throw new StateChangeRefused(name() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new StateChangeRefused(name() + ": the request did not finish in " + VERB_TIMEOUT.toSeconds()
                    + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StateChangeRefused(name() + ": interrupted");
        }
    }

    private void closeQuietly() {
        try {
            if (metaStore != null && metaStore != disk) {
                metaStore.close();
            }
            if (disk != null) {
                disk.close();
            }
        } catch (IOException e) {
            LOG.warnf("%s: closing the disk: %s", logPrefix, e.getMessage());
        }
        disk = null;
        metaStore = null;
        meta = null;
        heapBudget.release(name());
    }

    /** Stops the node's part in this resource cleanly (daemon shutdown): no new data generation. */
    @Override
    public void close() {
        try {
            flushVolume();
        } catch (StateChangeRefused e) {
            LOG.warnf("%s: at shutdown: %s", logPrefix, e.getMessage());
        }
        try {
            executor.submit(() -> {
                if (connector != null) {
                    connector.close();
                    connector = null;
                }
                ReplicationSession s = session;
                session = null;
                if (s != null) {
                    s.end();
                }
                if (meta != null) {
                    try {
                        // A clean stop is drbdadm down: demoted, clean meta data, nothing for apply-al to replay.
                        if (state.role() == Role.PRIMARY) {
                            persistUuids(meta.uuids().demote());
                            change("shutdown", st -> st.withRole(Role.SECONDARY), true);
                            persistFlags();
                        }
                        meta.detach();
                    } catch (IOException e) {
                        LOG.warnf("%s: at shutdown: %s", logPrefix, e.getMessage());
                    }
                }
                closeQuietly();
            }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("%s: shutdown: %s", logPrefix, e.toString());
        } finally {
            executor.shutdownNow();
        }
    }
}
