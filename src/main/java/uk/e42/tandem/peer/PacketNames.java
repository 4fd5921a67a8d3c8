package uk.e42.tandem.peer;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;

import uk.e42.tandem.peer.v1.ControlPacket;
import uk.e42.tandem.peer.v1.DataPacket;

/** Names packets in log lines the way DRBD names them: by their type. */
public final class PacketNames {

    private PacketNames() {
    }

    /** E.g. {@code AuthChallenge}, or {@code unknown packet (field 99)} from a newer or broken peer. */
    public static String of(DataPacket packet) {
        return name(packet, packet.getPacketCase().getNumber());
    }

    public static String of(ControlPacket packet) {
        return name(packet, packet.getPacketCase().getNumber());
    }

    private static String name(Message packet, int fieldNumber) {
        if (fieldNumber != 0) {
            FieldDescriptor field = packet.getDescriptorForType().findFieldByNumber(fieldNumber);
            return field.getMessageType().getName();
        }
        UnknownFieldSet unknown = packet.getUnknownFields();
        if (unknown.asMap().isEmpty()) {
            return "empty packet";
        }
        return "unknown packet (field " + unknown.asMap().keySet().iterator().next() + ", "
                + unknown.getSerializedSize() + " bytes)";
    }
}
