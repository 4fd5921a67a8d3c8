package uk.e42.tandem.peer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A packet as gRPC delivered it: when {@code aliased} is not null, the packet's payload lives in the
 * transport buffers behind that stream, and closing it gives them back (see {@link InboundMarshaller}).
 */
record Inbound<T>(T packet, InputStream aliased) {

    /** Gives the buffers back; for a packet dropped unread or once its bytes were used. */
    void release() {
        if (aliased != null) {
            try {
                aliased.close();
            } catch (IOException e) {
                // gRPC's stream over Netty buffers only releases them on close; it declares but never throws.
                throw new UncheckedIOException(e);
            }
        }
    }
}
