package uk.e42.tandem.device;

import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import uk.e42.tandem.disk.BlockStore;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.peer.InboundBuffer;
import uk.e42.tandem.peer.PeerConnection;
import uk.e42.tandem.peer.PeerSession;
import uk.e42.tandem.peer.v1.BecomeSyncSource;
import uk.e42.tandem.peer.v1.BecomeSyncTarget;
import uk.e42.tandem.peer.v1.BlockAck;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.VerifyStart;
import uk.e42.tandem.sync.OnlineVerify;
import uk.e42.tandem.sync.ResyncRateController;
import uk.e42.tandem.sync.ResyncThrottle;
import uk.e42.tandem.sync.SyncDecision;

/**
 * One established connection's replication traffic: the outgoing writes (as Primary), the
 * incoming ones (as Secondary), the bitmap exchange the sync handshake asked for, and the resync
 * on either side. Every method runs on the resource executor unless it says otherwise; disk work
 * goes to workers.
 */
final class ReplicationSession implements PeerSession {
    private static final Logger LOG = Logger.getLogger(ReplicationSession.class);
    private static final String CONTROL_FULL = "the control stream to the peer is full; the peer stopped reading";

    /** What the session needs from its resource: state changes, UUIDs and the sync milestones. */
    interface Owner extends WriteApplier.LocalDisk {
        void bitmapExchangeDone(boolean asSource);

        void syncUuidReceived(long uuid);

        void resyncFinishedAsTarget(long failedBits);

        void peerState(uk.e42.tandem.peer.v1.State state);

        void peerUuids(uk.e42.tandem.peer.v1.Uuids uuids);

        void protocolViolation(String what);

        /** The peer started online verify as VerifyS: enter VerifyT for its range. */
        void verifyStartReceived(uk.e42.tandem.peer.v1.VerifyStart start);

        /** This side's part of online verify is done (every block of the range compared). */
        void verifyFinished(long verifiedBits, long activeMillis);

        /**
         * The peer ran {@code invalidate} ({@code peerIsTarget}) or {@code invalidate-remote}: a full
         * sync with the peer as SyncTarget, or as SyncSource; with {@code afterGrow} only the area a
         * resize added is synced.
         */
        void peerInvalidated(boolean peerIsTarget, boolean afterGrow);

        /** The peer's P_SIZES after the handshake: its resize, or its answer to ours. */
        void peerSizes(uk.e42.tandem.peer.v1.Sizes sizes);

        /** Whether this node's disk is UpToDate, so that it may serve the peer's reads. */
        boolean localDiskUpToDate();

        /** Whether the peer has no disk (Diskless, Failed): then this node holds the only copy of each write. */
        boolean peerDiskless();

        /** The peer's write ({@code resync} false) or resync data reached this node's disk. */
        void peerDataWritten(long bytes, boolean resync);

        /** Sectors this node's disk moved for applications so far (c-min-rate's activity), 0 without a disk. */
        long applicationSectors();

        /** Whether the peer is Primary: then its application waits for the resync data as well. */
        boolean peerPrimary();
    }

    record Settings(char protocol, boolean useRle, Digests.Digest csums, ResyncRateController.Settings rate,
            long sndbufBytes) {
    }

    private final PeerConnection connection;
    private final ScheduledExecutorService executor;
    private final MetaData meta;
    private final BlockStore disk;
    /** Replaced by {@code adjust}; a running resync or verify takes the new rate settings at once. */
    private volatile Settings settings;
    private final Owner owner;
    private final String logPrefix;
    private final PeerStatistics statistics;
    final PacketSender sender;
    final Replicator replicator;
    final WriteApplier applier;
    final PeerReads peerReads;
    private final PeerReadServer readServer;
    private final BitmapExchange exchange;
    private final ResyncSource resyncSource;
    private ResyncTarget resyncTarget;
    private VerifySource verifySource;
    private VerifyTarget verifyTarget;
    private SyncMarks marks;
    private final ResyncThrottle sourceThrottle = new ResyncThrottle();
    private SyncDecision.Outcome exchanging;
    private final ScheduledFuture<?> epochTicker;
    /** Written on the executor, read by the worker's acks too. */
    private volatile boolean ended;

    ReplicationSession(PeerConnection connection, ScheduledExecutorService executor, MetaData meta, BlockStore disk,
            StripeLocks stripes, Settings settings, Owner owner, String logPrefix, PeerStatistics statistics) {
        this.connection = connection;
        this.executor = executor;
        this.meta = meta;
        this.disk = disk;
        this.settings = settings;
        this.owner = owner;
        this.logPrefix = logPrefix;
        this.statistics = statistics;
        this.sender = new PacketSender(connection, settings.sndbufBytes());
        // A Diskless node (meta null) has no bitmap to mark: its peer holds the only copy.
        this.replicator = new Replicator(sender, executor, settings.protocol(), (offset, length) -> {
            if (meta != null) {
                meta.markOutOfSync(offset, length);
            }
        }, statistics);
        this.applier = new WriteApplier(disk, executor, this::sendControl, this::sendControlFromWorker,
                owner::protocolViolation, owner, bytes -> owner.peerDataWritten(bytes, false), logPrefix);
        this.peerReads = new PeerReads(sender);
        this.readServer = new PeerReadServer(disk, applier, sender, this::sendControl, executor,
                owner::localDiskUpToDate, logPrefix);
        this.exchange = meta == null ? null : new BitmapExchange(meta.bitmap(), settings.useRle());
        this.resyncSource = new ResyncSource(meta, disk, stripes, sender, this::sendControl, executor,
                settings.csums(), settings.rate().maxBuffers(), this::sourceGivesWay, statistics);
        this.epochTicker = executor.scheduleAtFixedRate(replicator::closeEpochIfBusy, 100, 100,
                TimeUnit.MILLISECONDS);
    }

    /** {@code adjust}: new disk options; the protocol and window stay those the handshake agreed. */
    void useSettings(Settings adjusted) {
        settings = new Settings(settings.protocol(), settings.useRle(), settings.csums(), adjusted.rate(),
                settings.sndbufBytes());
        // A running resync or verify takes the new pace at once, as DRBD's does.
        if (resyncTarget != null) {
            resyncTarget.useRate(adjusted.rate());
        }
        if (verifySource != null) {
            verifySource.useRate(adjusted.rate());
        }
    }

    /**
     * c-min-rate on the SyncSource, as DRBD's receiver does it: while this node's application uses the
     * disk and the resync runs faster than c-min-rate, a resync request is answered 100 ms later; not
     * when the peer is Primary, whose application waits for the resync data too.
     */
    private boolean sourceGivesWay() {
        SyncMarks running = marks;
        if (running == null || owner.peerPrimary()) {
            return false;
        }
        // The SyncSource has no ticker of its own: its marks advance when someone looks.
        running.record(meta.bitmap().cardinality());
        return sourceThrottle.shouldSlowDown(settings.rate().cMinRate(), owner.applicationSectors(),
                running.recentKibPerSec());
    }

    /**
     * Whether the peer gets this node's writes: not while it has no disk (Diskless, Failed), as DRBD's
     * drbd_should_do_remote; those writes are marked out of sync here instead and move when it attaches.
     * From any thread.
     */
    boolean peerTakesWrites() {
        return !owner.peerDiskless();
    }

    char protocol() {
        return settings.protocol();
    }

    void sendData(DataPacket packet) {
        sender.sendNow(packet);
    }

    private void sendControl(ControlPacket packet) {
        if (!ended && !connection.sendControl(packet)) {
            owner.protocolViolation(CONTROL_FULL);
        }
    }

    /** As {@link #sendControl}, from a thread other than the executor (the write applier's worker). */
    private void sendControlFromWorker(ControlPacket packet) {
        if (!ended && !connection.sendControl(packet)) {
            executor.execute(() -> owner.protocolViolation(CONTROL_FULL));
        }
    }

    /** Write acks complete the waiting writer on the transport's thread (see {@link Replicator#onBlockAck}). */
    @Override
    public boolean takeOnArrival(ControlPacket packet) {
        // NEG_ACK stays on the executor, in order with the resync acks, whose marks it must not lose to.
        if (packet.getPacketCase() != ControlPacket.PacketCase.BLOCK_ACK
                || !Replicator.isTakenOnArrival(packet.getBlockAck().getKind())) {
            return false;
        }
        replicator.onBlockAck(packet.getBlockAck());
        return true;
    }

    /** The handshake chose a resync: the WFBitMapS side sends its bitmap first. */
    void startBitmapExchange(SyncDecision.Outcome outcome) {
        exchanging = outcome;
        if (outcome == SyncDecision.Outcome.BECOME_SYNC_SOURCE) {
            LOG.infof("%s: %s", logPrefix, exchange.sendAll(sender));
        }
    }

    /**
     * On the SyncTarget once the sync UUID is in place: request the dirty blocks; none while {@code paused}
     * (PausedSyncT: a pause flag was set before the resync began) until {@link #pauseResync} lifts it.
     */
    void startResyncAsTarget(long totalBits, boolean paused) {
        marks = new SyncMarks(totalBits);
        resyncTarget = new ResyncTarget(meta, disk, sender, applier, this::sendControl, executor,
                new ResyncRateController(settings.rate()), owner::applicationSectors, settings.csums(), marks,
                bytes -> owner.peerDataWritten(bytes, true), () -> owner.resyncFinishedAsTarget(resyncTarget.failedBits()));
        pauseResync(paused);
        resyncTarget.start();
    }

    /** On the SyncSource: track progress for status (the target drives), not counting time {@code paused}. */
    void startResyncAsSource(long totalBits, boolean paused) {
        marks = new SyncMarks(totalBits);
        pauseResync(paused);
    }

    SyncMarks marks() {
        return marks;
    }

    /** {@code verify} on this node (VerifyS): tell the peer the range, then ask for digests at the resync pace. */
    void startVerifyAsSource(OnlineVerify.Range range, Digests.Digest digest) {
        marks = new SyncMarks(range.bits());
        sender.sendNow(DataPacket.newBuilder().setVerifyStart(VerifyStart.newBuilder()
                .setStartSector(range.startSector()).setStopSector(range.endBit() * OnlineVerify.SECTORS_PER_BLOCK))
                .build());
        verifySource = new VerifySource(meta, disk, sender, this::sendControl, executor,
                new ResyncRateController(settings.rate()), owner::applicationSectors, digest, range, marks, logPrefix,
                owner::verifyFinished);
        verifySource.start();
    }

    /** The peer's {@code verify} (VerifyT): answer its requests with digests. */
    void startVerifyAsTarget(OnlineVerify.Range range, Digests.Digest digest) {
        marks = new SyncMarks(range.bits());
        verifyTarget = new VerifyTarget(meta, disk, sender, digest, range, marks, logPrefix, owner::verifyFinished);
    }

    void verifyEnded() {
        if (verifySource != null) {
            verifySource.stop();
            verifySource = null;
        }
        if (verifyTarget != null) {
            verifyTarget = null;
        }
        marks = null;
    }

    /**
     * {@code invalidate} / {@code invalidate-remote} here, or the resync after a resize grew the device
     * ({@code afterGrow}): the peer learns it takes the other side of the sync.
     */
    void sendInvalidated(boolean thisIsTarget, boolean afterGrow) {
        sender.sendNow(thisIsTarget
                ? DataPacket.newBuilder().setBecomeSyncTarget(BecomeSyncTarget.newBuilder().setAfterGrow(afterGrow)).build()
                : DataPacket.newBuilder().setBecomeSyncSource(BecomeSyncSource.newBuilder().setAfterGrow(afterGrow)).build());
    }

    /** P_SIZES while connected ({@code resize}). */
    void sendSizes(uk.e42.tandem.peer.v1.Sizes sizes) {
        sender.sendNow(DataPacket.newBuilder().setSizes(sizes).build());
    }

    void pauseResync(boolean pause) {
        if (resyncTarget != null) {
            resyncTarget.pause(pause);
        }
        if (marks != null) {
            marks.paused(pause);
        }
    }

    /** The local disk failed: a resync this node was SyncTarget of stops here; whether there was one. */
    boolean abortResyncAsTarget() {
        if (resyncTarget == null) {
            return false;
        }
        resyncTarget.abort();
        return true;
    }

    void resyncEnded() {
        if (resyncTarget != null) {
            resyncTarget.stop();
            resyncTarget = null;
        }
        marks = null;
    }

    long equalBlocks() {
        return resyncSource.equalBlocks;
    }

    long sentBlocks() {
        return resyncSource.sentBlocks;
    }

    /** Writes and resync replies keep {@code buffer} until their disk write; every other packet is done here. */
    @Override
    public void onData(DataPacket packet, InboundBuffer buffer) {
        if (ended) {
            buffer.release();
            return;
        }
        switch (packet.getPacketCase()) {
            case WRITE -> {
                onlyCopy(packet.getWrite().getSector(), packet.getWrite().getData().size());
                statistics.received(packet.getWrite().getData().size());
                applier.onWrite(packet.getWrite(), buffer);
            }
            case RESYNC_REPLY -> {
                statistics.received(packet.getResyncReply().getData().size());
                if (resyncTarget == null) {
                    buffer.release();
                    owner.protocolViolation("peer sent resync data while this node is not SyncTarget");
                } else {
                    resyncTarget.onReply(packet.getResyncReply(), buffer, owner::protocolViolation);
                }
            }
            default -> {
                try {
                    onSmallPacket(packet);
                } finally {
                    buffer.release();
                }
            }
        }
    }

    /** The packets whose bytes are read at once. */
    private void onSmallPacket(DataPacket packet) {
        switch (packet.getPacketCase()) {
            case TRIM -> {
                onlyCopy(packet.getTrim().getSector(), packet.getTrim().getSize());
                applier.onTrim(packet.getTrim());
            }
            case WRITE_ZEROES -> {
                onlyCopy(packet.getWriteZeroes().getSector(), packet.getWriteZeroes().getSize());
                applier.onWriteZeroes(packet.getWriteZeroes());
            }
            case DATA_REQUEST -> readServer.onRequest(packet.getDataRequest(), owner::protocolViolation);
            case DATA_REPLY -> peerReads.onReply(packet.getDataReply(), owner::protocolViolation);
            case BARRIER -> applier.onBarrier(packet.getBarrier());
            case BITMAP -> onBitmap(packet);
            case SYNC_UUID -> {
                if (meta == null) {
                    owner.protocolViolation("peer sent a sync UUID to this Diskless node");
                } else {
                    owner.syncUuidReceived(packet.getSyncUuid().getUuid());
                }
            }
            case RESYNC_REQUEST -> resyncSource.onRequest(packet.getResyncRequest(), owner::protocolViolation);
            case CSUM_REQUEST -> resyncSource.onCsumRequest(packet.getCsumRequest(), owner::protocolViolation);
            case VERIFY_START -> owner.verifyStartReceived(packet.getVerifyStart());
            case VERIFY_REQUEST -> {
                if (verifyTarget == null) {
                    owner.protocolViolation("peer sent a verify request while this node is not VerifyT");
                } else {
                    verifyTarget.onRequest(packet.getVerifyRequest(), owner::protocolViolation);
                }
            }
            case VERIFY_REPLY -> {
                if (verifySource == null) {
                    owner.protocolViolation("peer sent verify digests while this node is not VerifyS");
                } else {
                    verifySource.onReply(packet.getVerifyReply(), owner::protocolViolation);
                }
            }
            case BECOME_SYNC_TARGET -> owner.peerInvalidated(true, packet.getBecomeSyncTarget().getAfterGrow());
            case BECOME_SYNC_SOURCE -> owner.peerInvalidated(false, packet.getBecomeSyncSource().getAfterGrow());
            case STATE -> owner.peerState(packet.getState());
            case UUIDS -> owner.peerUuids(packet.getUuids());
            case SIZES -> owner.peerSizes(packet.getSizes());
            default -> owner.protocolViolation("peer sent " + packet.getPacketCase()
                    + " on the data stream, which Tandem does not expect after the handshake");
        }
    }

    /**
     * A write from a Diskless peer lands only here: it goes into the bitmap first, so the peer's disk
     * gets it by resync when it attaches again (DRBD: "we have the only disk of the cluster").
     */
    private void onlyCopy(long sector, long size) {
        long offset = sector << 9;
        if (meta != null && owner.peerDiskless() && sector >= 0 && sector <= (disk.size() >>> 9) && size >= 0
                && offset <= disk.size() - size) {
            meta.markOutOfSync(offset, size);
        }
    }

    private void onBitmap(DataPacket packet) {
        if (exchanging == null) {
            owner.protocolViolation("peer sent a bitmap chunk outside the bitmap exchange");
            return;
        }
        String stats;
        try {
            stats = exchange.receive(packet.getBitmap());
        } catch (IOException e) {
            owner.protocolViolation("peer sent a bad bitmap chunk: " + e.getMessage());
            return;
        }
        if (stats == null) {
            return;
        }
        LOG.infof("%s: %s", logPrefix, stats);
        boolean asSource = exchanging == SyncDecision.Outcome.BECOME_SYNC_SOURCE;
        if (!asSource) {
            LOG.infof("%s: %s", logPrefix, exchange.sendAll(sender));
        }
        exchanging = null;
        owner.bitmapExchangeDone(asSource);
    }

    @Override
    public void onControl(ControlPacket packet) {
        if (ended) {
            return;
        }
        switch (packet.getPacketCase()) {
            case BLOCK_ACK -> onBlockAck(packet.getBlockAck());
            case BARRIER_ACK -> replicator.onBarrierAck(packet.getBarrierAck());
            case VERIFY_RESULT -> {
                if (verifyTarget == null) {
                    owner.protocolViolation("peer sent a verify result while this node is not VerifyT");
                } else {
                    verifyTarget.onResult(packet.getVerifyResult(), owner::protocolViolation);
                }
            }
            default -> {
            }
        }
    }

    private void onBlockAck(BlockAck ack) {
        switch (ack.getKind()) {
            case RECV_ACK, WRITE_ACK, NEG_ACK -> replicator.onBlockAck(ack);
            case NEG_DREPLY -> peerReads.onNegativeReply(ack);
            case RS_WRITE_ACK -> resyncSource.onAck(ack);
            case RS_IS_IN_SYNC, NEG_RS_DREPLY -> {
                if (resyncTarget != null) {
                    resyncTarget.onAck(ack);
                }
            }
            default -> {
            }
        }
    }

    /** The connection is gone: unconfirmed writes become out of sync, waiting writers are released. */
    void end() {
        if (ended) {
            return;
        }
        ended = true;
        epochTicker.cancel(false);
        resyncEnded();
        resyncSource.end();
        verifyEnded();
        sender.close();
        replicator.end();
        peerReads.end();
        applier.close();
    }
}
