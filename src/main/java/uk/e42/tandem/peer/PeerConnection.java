package uk.e42.tandem.peer;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Ping;
import uk.e42.tandem.peer.v1.PingAck;

/**
 * One connection to the peer over a {@link PeerLink}: runs the {@link PeerHandshake}, then hands
 * the streams to a {@link PeerSession}, and all along keeps DRBD's liveness rules:
 * <ul>
 * <li>after {@code ping-int} without anything received, a Ping; no PingAck within
 * {@code ping-timeout} → "PingAck did not arrive in time." (NetworkFailure);</li>
 * <li>data waiting unsent for {@code timeout} is an expired send: it costs one of
 * {@code ko-count} lives and asks for a ping; none left → the peer is dead (Timeout);</li>
 * <li>the control stream stuck for {@code timeout} → dead at once, as DRBD's meta socket;</li>
 * <li>the handshake must end within {@code connect-int}.</li>
 * </ul>
 * Everything runs on one single-threaded executor shared with the link.
 */
public final class PeerConnection {

    private static final Logger LOG = Logger.getLogger(PeerConnection.class);

    /** Who owns the connection: hears when it is established and when it ended. */
    public interface Owner {

        /** The handshake succeeded; returns who receives the replication traffic. */
        PeerSession established(PeerConnection connection, HandshakeOutcome.Connected outcome);

        /**
         * The connection ended on its own (not by {@link PeerConnection#close}).
         *
         * @param state     DRBD's state for why: NetworkFailure, Timeout, ProtocolError, BrokenPipe,
         *                  or Disconnecting when it must not be retried
         * @param reconnect whether to dial again after connect-int, or stay StandAlone
         */
        void ended(PeerConnection connection, ConnState state, String reason, boolean reconnect);
    }

    private final PeerLink link;
    private final ScheduledExecutorService executor;
    private final NetOptions net;
    private final Owner owner;
    private final String logPrefix;
    private final PeerHandshake handshake;

    private PeerSession session;
    private HandshakeOutcome.Connected outcome;
    private ScheduledFuture<?> ticker;
    private volatile boolean ended;
    private long startedAt;
    private volatile long lastReceived;
    private long pingSentAt = -1;
    private int koLeft;
    private long lastExpiry = -1;

    /**
     * @param executor single-threaded; the link's executor too
     * @param device   this node's report, taken when the handshake sends it
     */
    public PeerConnection(PeerLink link, ScheduledExecutorService executor, NetOptions net, HandshakeConfig config,
            Supplier<DeviceReport> device, HandshakeDecider decider, Owner owner, String logPrefix) {
        this.link = link;
        this.executor = executor;
        this.net = net;
        this.owner = owner;
        this.logPrefix = logPrefix;
        this.koLeft = net.koCount();
        this.handshake = new PeerHandshake(config, device, decider, link, this::handshakeEnded, logPrefix);
    }

    /** Starts the handshake and the liveness checks. Call on the executor. */
    public void start() {
        startedAt = System.nanoTime();
        lastReceived = startedAt;
        long period = Math.clamp(Math.min(net.pingTimeout().toNanos(),
                Math.min(net.pingInt().toNanos(), net.timeout().toNanos())) / 4, 5_000_000L, 250_000_000L);
        ticker = executor.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
        // Our Features go out before anything the peer sent early is looked at.
        handshake.start();
        link.start(new PeerLinkListener() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                receivedData(packet, buffer);
            }

            @Override
            public void onControl(ControlPacket packet) {
                receivedControl(packet);
            }

            @Override
            public void onClosed(ConnState state, String reason) {
                end(state, reason, true);
            }
        });
    }

    /** The peer's and our views from the handshake; null before it completed. */
    public HandshakeOutcome.Connected outcome() {
        return outcome;
    }

    public String describePeer() {
        return link.describe();
    }

    /** @see PeerLink#sendData(DataPacket) */
    public boolean sendData(DataPacket packet) {
        return link.sendData(packet);
    }

    /** @see PeerLink#sendData(DataPacket, Consumer) */
    public boolean sendData(DataPacket packet, Consumer<Boolean> serialized) {
        return link.sendData(packet, serialized);
    }

    /** @see PeerLink#sendControl */
    public boolean sendControl(ControlPacket packet) {
        return link.sendControl(packet);
    }

    /** @see PeerLink#whenDataWritable */
    public void whenDataWritable(Runnable task) {
        link.whenDataWritable(task);
    }

    /** @see PeerLink#dataBytesQueued */
    public long dataBytesQueued() {
        return link.dataBytesQueued();
    }

    /** Ends the connection on our side (disconnect, down, a newer connection won). The owner is not called. */
    public void close(String reason) {
        if (ended) {
            return;
        }
        ended = true;
        stopTicker();
        link.close(reason);
    }

    public boolean isClosed() {
        return ended;
    }

    private void receivedData(DataPacket packet, InboundBuffer buffer) {
        if (ended) {
            buffer.release();
            return;
        }
        lastReceived = System.nanoTime();
        if (session != null) {
            session.onData(packet, buffer);
            return;
        }
        try {
            handshake.onData(packet);
        } finally {
            buffer.release();
        }
    }

    private void receivedControl(ControlPacket packet) {
        if (ended) {
            return;
        }
        lastReceived = System.nanoTime();
        switch (packet.getPacketCase()) {
            case PING -> link.sendControl(ControlPacket.newBuilder().setPingAck(PingAck.getDefaultInstance()).build());
            case PING_ACK -> pingSentAt = -1;
            default -> {
                if (session != null) {
                    session.onControl(packet);
                } else {
                    end(ConnState.CONN_PROTOCOL_ERROR, "unexpected " + PacketNames.of(packet)
                            + " packet on the control stream during the handshake", true);
                }
            }
        }
    }

    private void handshakeEnded(HandshakeOutcome result) {
        switch (result) {
            case HandshakeOutcome.Connected connected -> {
                outcome = connected;
                session = owner.established(this, connected);
                PeerSession taker = session;
                link.takeControlOnArrival(packet -> {
                    if (ended || !taker.takeOnArrival(packet)) {
                        return false;
                    }
                    lastReceived = System.nanoTime();
                    return true;
                });
            }
            case HandshakeOutcome.Refused refused -> end(
                    refused.reconnect() ? ConnState.CONN_PROTOCOL_ERROR : ConnState.CONN_DISCONNECTING,
                    refused.reason(), refused.reconnect());
        }
    }

    private void tick() {
        if (ended) {
            return;
        }
        long now = System.nanoTime();
        if (!handshake.done() && now - startedAt >= net.connectInt().toNanos()) {
            end(ConnState.CONN_TIMEOUT, "the handshake did not complete within connect-int ("
                    + net.connectInt().toMillis() + " ms)", true);
            return;
        }
        if (pingSentAt >= 0 && now - pingSentAt >= net.pingTimeout().toNanos()) {
            end(ConnState.CONN_NETWORK_FAILURE, "PingAck did not arrive in time.", true);
            return;
        }
        long controlStalled = link.controlStalledSince();
        if (controlStalled >= 0 && now - controlStalled >= net.timeout().toNanos()) {
            end(ConnState.CONN_TIMEOUT, "sock_sendmsg time expired on the control stream", true);
            return;
        }
        if (checkDataSend(now)) {
            return;
        }
        if (pingSentAt < 0 && now - lastReceived >= net.pingInt().toNanos()) {
            requestPing(now);
        }
    }

    /** @return whether the connection ended */
    private boolean checkDataSend(long now) {
        long stalled = link.dataStalledSince();
        if (stalled < 0) {
            koLeft = net.koCount();
            lastExpiry = -1;
            return false;
        }
        long since = Math.max(stalled, lastExpiry);
        if (now - since < net.timeout().toNanos()) {
            return false;
        }
        lastExpiry = now;
        if (net.koCount() > 0 && --koLeft == 0) {
            end(ConnState.CONN_TIMEOUT, "sock_sendmsg time expired, ko-count (" + net.koCount()
                    + ") exhausted: the peer did not read for " + net.koCount() + " x timeout", true);
            return true;
        }
        if (net.koCount() > 0) {
            LOG.errorf("%s: sock_sendmsg time expired, ko = %d", logPrefix, koLeft);
        } else {
            LOG.errorf("%s: sock_sendmsg time expired", logPrefix);
        }
        requestPing(now);
        return false;
    }

    private void requestPing(long now) {
        if (pingSentAt >= 0) {
            return;
        }
        pingSentAt = now;
        link.sendControl(ControlPacket.newBuilder().setPing(Ping.getDefaultInstance()).build());
    }

    private void end(ConnState state, String reason, boolean reconnect) {
        if (ended) {
            return;
        }
        ended = true;
        stopTicker();
        LOG.errorf("%s: %s", logPrefix, reason);
        link.close(reason);
        owner.ended(this, state, reason, reconnect);
    }

    private void stopTicker() {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }
}
