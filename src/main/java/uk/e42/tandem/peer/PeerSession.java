package uk.e42.tandem.peer;

import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * Receives the peer's replication traffic once the handshake is done: everything on the data
 * stream, and everything on the control stream but pings. Runs on the connection's executor, in
 * arrival order per stream; must not block (hand disk work to workers and answer when it is done).
 */
public interface PeerSession {

    /**
     * A data packet, whose payload may alias the transport's buffer: {@code buffer} is released
     * exactly once, when nothing reads the packet's bytes any more (after the disk write, or when the
     * packet is refused); a session that keeps the packet keeps {@link InboundCopy#of its copy}.
     */
    void onData(DataPacket packet, InboundBuffer buffer);

    void onControl(ControlPacket packet);

    /**
     * Whether this session consumed {@code packet} at once, on the transport's thread, as it arrived
     * on the control stream (then {@link #onControl} does not see it). Thread-safe, never blocks.
     * By default the session takes nothing early.
     */
    default boolean takeOnArrival(ControlPacket packet) {
        return false;
    }
}
