package uk.e42.tandem.peer;

/**
 * The transport's buffer that a received packet's payload aliases (a replicated write's or a resync
 * reply's data is not copied out of it). Its holder releases it exactly once, when nothing reads the
 * packet's bytes any more: after the disk write, or when the packet is refused or dropped. Until then
 * the link does not ask the peer for more data than its inbound window, so held buffers stay bounded.
 * A packet that was copied comes with {@link #NONE}. Release may be called from any thread.
 */
public interface InboundBuffer {

    /** For packets whose bytes are their own. */
    InboundBuffer NONE = () -> {
    };

    void release();
}
