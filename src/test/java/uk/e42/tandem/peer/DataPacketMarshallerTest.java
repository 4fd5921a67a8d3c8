package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;

import io.grpc.KnownLength;
import io.grpc.StatusRuntimeException;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Write;

class DataPacketMarshallerTest {

    private static DataPacket write(int fill, int size) {
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) fill);
        return DataPacket.newBuilder().setWrite(Write.newBuilder().setSector(8).setBlockId(fill).setSeq(fill)
                .setData(ByteString.copyFrom(payload))).build();
    }

    /** What gRPC hands the marshaller: a stream that knows its length. */
    private static final class Received extends ByteArrayInputStream implements KnownLength {
        Received(byte[] message) {
            super(message);
        }
    }

    @Test
    void aPacketComesBackAsItWasSent() {
        DataPacket sent = write(0x5a, 1 << 20);
        assertEquals(sent, DataPacketMarshaller.DATA_METHOD.parseRequest(DataPacketMarshaller.DATA_METHOD
                .streamRequest(sent)));
        assertEquals(sent, DataPacketMarshaller.DATA_METHOD.parseResponse(new Received(sent.toByteArray())));
    }

    @Test
    void thePayloadIsTheReceivedArrayNotACopy() throws InvalidProtocolBufferException {
        byte[] message = write(0x11, 4096).toByteArray();
        DataPacket parsed = DataPacketMarshaller.parseOwned(message);
        message[message.length - 1] = 0x22;
        assertEquals(0x22, parsed.getWrite().getData().byteAt(4095), "the payload should alias the message");
    }

    @Test
    void aNextMessageDoesNotOverwriteAPayloadStillHeld() {
        DataPacket first = DataPacketMarshaller.DATA_METHOD.parseRequest(new Received(write(0x01, 65536)
                .toByteArray()));
        DataPacketMarshaller.DATA_METHOD.parseRequest(new Received(write(0x02, 65536).toByteArray()));
        byte[] expected = new byte[65536];
        Arrays.fill(expected, (byte) 0x01);
        assertArrayEquals(expected, first.getWrite().getData().toByteArray());
    }

    @Test
    void garbageIsRefusedAsAnInvalidProtobuf() {
        byte[] garbage = {(byte) 0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 1, 2};
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> DataPacketMarshaller.DATA_METHOD.parseRequest(new Received(garbage)));
        assertInstanceOf(InvalidProtocolBufferException.class, refused.getCause());
    }
}
