package uk.e42.tandem.peer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/** A raw link end for tests that play a misbehaving peer: records what arrives. */
class RecordingListener implements PeerLinkListener {

    final List<DataPacket> data = new CopyOnWriteArrayList<>();
    final List<ControlPacket> control = new CopyOnWriteArrayList<>();
    volatile String closedBecause;

    @Override
    public void onData(DataPacket packet, InboundBuffer buffer) {
        data.add(InboundCopy.of(packet, buffer));
    }

    @Override
    public void onControl(ControlPacket packet) {
        control.add(packet);
    }

    @Override
    public void onClosed(ConnState state, String reason) {
        closedBecause = reason;
    }
}
