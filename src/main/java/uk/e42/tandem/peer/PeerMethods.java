package uk.e42.tandem.peer;

import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.PeerGrpc;

/**
 * The Peer service's two methods as both ends call them: what is sent is marshalled as generated,
 * what is received comes as an {@link Inbound}, writes and resync replies aliasing gRPC's buffers.
 */
final class PeerMethods {

    private static final MethodDescriptor.Marshaller<DataPacket> DATA_OUT =
            ProtoUtils.marshaller(DataPacket.getDefaultInstance());
    private static final InboundMarshaller<DataPacket> DATA_IN = new InboundMarshaller<>(
            DataPacket.getDefaultInstance(), packet -> packet.getPacketCase().getNumber(),
            field -> field == DataPacket.WRITE_FIELD_NUMBER || field == DataPacket.RESYNC_REPLY_FIELD_NUMBER);
    private static final MethodDescriptor.Marshaller<ControlPacket> CONTROL_OUT =
            ProtoUtils.marshaller(ControlPacket.getDefaultInstance());
    private static final InboundMarshaller<ControlPacket> CONTROL_IN =
            new InboundMarshaller<>(ControlPacket.getDefaultInstance(),
                    packet -> packet.getPacketCase().getNumber(), field -> false);

    static final MethodDescriptor<DataPacket, Inbound<DataPacket>> DATA_DIALED =
            PeerGrpc.getDataMethod().toBuilder(DATA_OUT, DATA_IN).build();
    static final MethodDescriptor<Inbound<DataPacket>, DataPacket> DATA_ACCEPTED =
            PeerGrpc.getDataMethod().toBuilder(DATA_IN, DATA_OUT).build();
    static final MethodDescriptor<ControlPacket, Inbound<ControlPacket>> CONTROL_DIALED =
            PeerGrpc.getControlMethod().toBuilder(CONTROL_OUT, CONTROL_IN).build();
    static final MethodDescriptor<Inbound<ControlPacket>, ControlPacket> CONTROL_ACCEPTED =
            PeerGrpc.getControlMethod().toBuilder(CONTROL_IN, CONTROL_OUT).build();

    private PeerMethods() {
    }
}
