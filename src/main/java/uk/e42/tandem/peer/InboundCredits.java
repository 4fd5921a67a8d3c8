package uk.e42.tandem.peer;

/**
 * How many inbound messages to ask gRPC for as the receiver is done with them: not one per message
 * but a quarter of the stream's window at a time. Asked from a thread other than the transport's (the
 * disk work that released a write's buffers), each {@code request(n)} wakes the connection's event
 * loop; batched, a write at queue depth 1 costs that wake-up once in a quarter window. The peer still
 * has at least three quarters of the window to send into, and never more than all of it. Not
 * thread-safe: its stream end's lock guards it.
 */
final class InboundCredits {
    private final int batch;
    private int owed;

    /** @param window the messages asked for when the stream opened (at least 1) */
    InboundCredits(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("an inbound window of " + window + " messages: at least 1 is needed");
        }
        this.batch = Math.max(1, window / 4);
    }

    /** One message is done with; returns how many to ask gRPC for now (0: not yet). */
    int consumed() {
        if (++owed < batch) {
            return 0;
        }
        int asked = owed;
        owed = 0;
        return asked;
    }
}
