package uk.e42.tandem.peer;

import com.google.protobuf.InvalidProtocolBufferException;

import uk.e42.tandem.peer.v1.DataPacket;

/** For receivers that keep packets as they are: a copy that owns its bytes, the transport's buffer released. */
public final class InboundCopy {

    private InboundCopy() {
    }

    public static DataPacket of(DataPacket packet, InboundBuffer buffer) {
        if (buffer == InboundBuffer.NONE) {
            return packet;
        }
        try {
            return DataPacket.parseFrom(packet.toByteArray());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a packet parsed once does not parse again: " + e.getMessage(), e);
        } finally {
            buffer.release();
        }
    }
}
