package uk.e42.tandem.peer;

import uk.e42.tandem.peer.v1.ProtocolParams;
import uk.e42.tandem.peer.v1.SyncParams;

/** One side of a handshake as it was exchanged: settings and device report. */
public record HandshakeView(ProtocolParams protocol, SyncParams sync, DeviceReport device) {
}
