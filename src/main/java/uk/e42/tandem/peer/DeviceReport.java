package uk.e42.tandem.peer;

import uk.e42.tandem.peer.v1.Sizes;
import uk.e42.tandem.peer.v1.State;
import uk.e42.tandem.peer.v1.Uuids;

/** What a node reports about its device in the handshake, taken when it is sent. */
public record DeviceReport(Sizes sizes, Uuids uuids, State state) {
}
