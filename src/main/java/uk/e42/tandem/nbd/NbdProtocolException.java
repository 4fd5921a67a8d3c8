package uk.e42.tandem.nbd;

/** The client broke the protocol so that the stream cannot be followed any more: it is dropped. */
final class NbdProtocolException extends Exception {
    NbdProtocolException(String message) {
        super(message);
    }
}
