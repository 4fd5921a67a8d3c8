package uk.e42.tandem.device;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import uk.e42.tandem.peer.InMemoryLink;
import uk.e42.tandem.peer.InboundBuffer;
import uk.e42.tandem.peer.InboundCopy;
import uk.e42.tandem.peer.NetOptions;
import uk.e42.tandem.peer.PeerConnection;
import uk.e42.tandem.peer.PeerLinkListener;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/**
 * This node's end of an in-memory link, past its handshake, for the replication classes that send
 * through a {@link PacketSender}: whatever they send is encoded, crosses the link and is recorded at
 * the far end as the peer would receive it.
 */
final class PeerEnd {
    final PacketSender sender;
    /** This node's end of the link, the one {@link #sender} hands packets to. */
    final InMemoryLink link;
    /** Data packets the peer received. */
    final List<DataPacket> peerReceived = new CopyOnWriteArrayList<>();

    PeerEnd(NodeExecutors executors) {
        ScheduledExecutorService executor = executors.self;
        InMemoryLink[] links = InMemoryLink.pair(executor, "this", executors.peer, "peer", 1 << 20);
        // Only the sending side of the connection is used: its handshake and liveness checks never start.
        PeerConnection connection = new PeerConnection(links[0], executor, NetOptions.drbdDefaults(), null, null, null,
                null, "r0");
        link = links[0];
        sender = new PacketSender(connection, 1 << 20);
        links[1].start(new PeerLinkListener() {
            @Override
            public void onData(DataPacket packet, InboundBuffer buffer) {
                peerReceived.add(InboundCopy.of(packet, buffer));
            }

            @Override
            public void onControl(ControlPacket packet) {
            }

            @Override
            public void onClosed(ConnState state, String reason) {
            }
        });
    }
}
