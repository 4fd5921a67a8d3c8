package uk.e42.tandem.peer;

import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/** Receives what a {@link PeerLink} delivers, on the link's executor, in arrival order per stream. */
public interface PeerLinkListener {

    /**
     * A data packet, whose payload may alias the transport's buffer: the listener releases
     * {@code buffer} exactly once, when nothing reads the packet's bytes any more (see
     * {@link InboundBuffer}); one that keeps the packet keeps {@link InboundCopy#of its copy}.
     */
    void onData(DataPacket packet, InboundBuffer buffer);

    void onControl(ControlPacket packet);

    /**
     * The link broke or the peer closed it.
     *
     * @param state  DRBD's word for it: BrokenPipe (closed, reset), NetworkFailure (transport
     *               error), ProtocolError (the peer sent bytes that are no packet)
     * @param reason what happened, for the log, naming what arrived when it was garbage
     */
    void onClosed(ConnState state, String reason);
}
