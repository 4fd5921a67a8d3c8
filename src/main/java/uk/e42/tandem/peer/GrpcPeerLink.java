package uk.e42.tandem.peer;

import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;

import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * A {@link PeerLink} over the two gRPC streams of one connection (Data and Control, each on its
 * own TCP connection). Built by {@link GrpcPeerServer} for accepted connections and by
 * {@link GrpcDial} for dialed ones.
 */
final class GrpcPeerLink implements PeerLink {

    private final String description;
    private final GrpcStreamEnd<DataPacket> data;
    private final GrpcStreamEnd<ControlPacket> control;
    private final Supplier<byte[]> channelBinding;
    private final Runnable release;
    private PeerLinkListener listener;
    private boolean closed;
    private ConnState brokenState;
    private String brokenReason;

    /**
     * How a link to {@code node} at {@code address} is carried, for its description in the log ("connected
     * to paimon (10.0.0.2:7789, TLSv1.3 TLS_AES_256_GCM_SHA384)"): an admin checking which cipher suite the
     * peers agreed on, or that a link is not plaintext by mistake, reads it there.
     */
    static String describe(String node, String address, SSLSession session) {
        String carrier = session == null ? "plaintext" : session.getProtocol() + " " + session.getCipherSuite();
        return node + " (" + address + ", " + carrier + ")";
    }

    /**
     * @param channelBinding the data channel's binding (empty array in plaintext)
     * @param release        frees what the link holds once both streams are closed (the dialer's
     *                       channels); runs on the link's executor
     */
    GrpcPeerLink(String description, GrpcStreamEnd<DataPacket> data, GrpcStreamEnd<ControlPacket> control,
            Supplier<byte[]> channelBinding, Runnable release) {
        this.description = description;
        this.data = data;
        this.control = control;
        this.channelBinding = channelBinding;
        this.release = release;
        data.onBroken(this::broken);
        control.onBroken(this::controlBroken);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public byte[] channelBinding() {
        return channelBinding.get();
    }

    @Override
    public void start(PeerLinkListener newListener) {
        listener = newListener;
        if (brokenState != null) {
            newListener.onClosed(brokenState, brokenReason);
            return;
        }
        data.receiveWith(newListener::onData);
        control.receiveWith((packet, buffer) -> {
            try {
                newListener.onControl(packet);
            } finally {
                buffer.release();
            }
        });
    }

    @Override
    public boolean sendData(DataPacket packet, Consumer<Boolean> serialized) {
        return data.send(packet, serialized);
    }

    @Override
    public boolean sendControl(ControlPacket packet) {
        return control.send(packet);
    }

    @Override
    public void takeControlOnArrival(Predicate<ControlPacket> taker) {
        control.takeOnArrival(taker);
    }

    @Override
    public void whenDataWritable(Runnable task) {
        data.whenWritable(task);
    }

    @Override
    public long dataBytesQueued() {
        return data.queuedBytes();
    }

    @Override
    public long dataStalledSince() {
        return data.stalledSince();
    }

    @Override
    public long controlStalledSince() {
        return control.stalledSince();
    }

    @Override
    public void close(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        data.close(reason);
        control.close(reason);
        release.run();
    }

    /**
     * The peer closes both streams together, but they are separate TCP connections: the control
     * stream's end can overtake data still in flight (the peer's last AuthResponse, a final
     * barrier). So the peer's orderly close counts once the data stream has ended; should that
     * never come, the ping on the dead control stream goes unanswered.
     */
    private void controlBroken(ConnState state, String reason) {
        if (state != ConnState.CONN_BROKEN_PIPE) {
            broken(state, reason);
        }
    }

    private void broken(ConnState state, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        data.close(reason);
        control.close(reason);
        release.run();
        if (listener != null) {
            listener.onClosed(state, reason);
        } else {
            brokenState = state;
            brokenReason = reason;
        }
    }
}
