package uk.e42.tandem.peer;

/** How a handshake ended. */
public sealed interface HandshakeOutcome {

    /** Both sides agreed and the decider let the connection proceed. */
    record Connected(HandshakeViews views, String decision) implements HandshakeOutcome {
    }

    /**
     * The connection was dropped.
     *
     * @param reason    DRBD's words, naming the setting or packet at fault
     * @param reconnect whether to keep trying (network trouble, protocol errors) or go StandAlone
     *                  (authentication failure, incompatible settings)
     */
    record Refused(String reason, boolean reconnect) implements HandshakeOutcome {
    }
}
