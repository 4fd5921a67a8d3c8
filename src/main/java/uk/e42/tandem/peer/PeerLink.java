package uk.e42.tandem.peer;

import java.util.function.Consumer;
import java.util.function.Predicate;

import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * One connection to the peer as two ordered message streams, data and control, whatever carries
 * them (gRPC over TCP, or memory in tests). Not thread-safe: every method is called, and every
 * {@link PeerLinkListener} callback runs, on the link's single executor; except the sending side
 * ({@link #sendData}, {@link #whenDataWritable}, {@link #sendControl}), which any thread may call (the
 * Primary's writers hand their packets on themselves), and the taker of {@link #takeControlOnArrival}.
 *
 * <p>Sending never blocks and never buffers without bound: a send the window cannot take returns
 * false, and {@link #whenDataWritable} says when to try again.
 */
public interface PeerLink {

    /** Who is at the other end, for log lines. */
    String describe();

    /** Bytes that tie authentication to this link's TLS session; empty in plaintext. */
    byte[] channelBinding();

    /** Starts delivering the peer's packets; packets that arrived before are delivered first. */
    void start(PeerLinkListener listener);

    /**
     * Queues a packet on the data stream.
     *
     * @return false when the data window (sndbuf-size) is full; the packet was not taken
     */
    default boolean sendData(DataPacket packet) {
        return sendData(packet, null);
    }

    /**
     * As {@link #sendData(DataPacket)}, for a packet whose bytes are borrowed (a replicated write wraps
     * the NBD client's buffer): {@code serialized}, when not null, is told exactly once, from any
     * thread, whether the transport has copied the packet into its own buffers (true: the packet's
     * bytes are not read again and may be reused) or dropped it because the link ended first (false).
     * It is not told anything when this returns false. A link that ends hands the transport no such
     * packet afterwards, nor any packet queued behind one, so the peer receives a prefix of what was
     * sent.
     */
    boolean sendData(DataPacket packet, Consumer<Boolean> serialized);

    /**
     * Queues a packet on the control stream; from any thread (write acks leave from the disk worker).
     *
     * @return false when the peer has not read its control stream for long enough to fill the
     *         control window; the packet was not taken
     */
    boolean sendControl(ControlPacket packet);

    /**
     * Control packets {@code taker} returns true for are consumed as they arrive, on the transport's
     * thread, instead of being delivered to the listener on the executor: write acks complete the
     * waiting writer without a hop to the executor. {@code taker} must be thread-safe and must not
     * block; null takes nothing.
     */
    void takeControlOnArrival(Predicate<ControlPacket> taker);

    /** Runs {@code task} once, when the data window has room again (at once if it has). */
    void whenDataWritable(Runnable task);

    /** Bytes of data packets taken but not yet handed to the transport. */
    long dataBytesQueued();

    /**
     * {@link System#nanoTime()} since when the data stream has had packets waiting without the
     * transport taking any, or -1 while it keeps up.
     */
    long dataStalledSince();

    /** As {@link #dataStalledSince()}, for the control stream. */
    long controlStalledSince();

    /**
     * Ends the link: packets already queued are still handed on where the transport allows (on the data
     * stream up to the first with borrowed bytes), then both streams close. The listener hears nothing
     * more. Idempotent.
     */
    void close(String reason);
}
