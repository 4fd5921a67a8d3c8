package uk.e42.tandem.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.internal.CompositeReadableBuffer;
import io.grpc.internal.ReadableBuffers;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.peer.v1.AuthChallenge;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Write;

/**
 * What the receive side keeps in gRPC's buffers: a write's payload, and nothing of any other packet,
 * whatever field it names first on the wire (protobuf lets the last field of a oneof win).
 */
class InboundMarshallerTest {
    private static final byte[] CHALLENGE = "a challenge the handshake keeps".getBytes(StandardCharsets.US_ASCII);

    /** A message stream as gRPC's Netty transport hands it over: buffers it can detach and lend. */
    private static Inbound<DataPacket> received(ByteBuffer wire) {
        CompositeReadableBuffer buffers = new CompositeReadableBuffer();
        int half = wire.remaining() / 2;
        buffers.addBuffer(ReadableBuffers.wrap(wire.duplicate().limit(wire.position() + half)));
        buffers.addBuffer(ReadableBuffers.wrap(wire.duplicate().position(wire.position() + half)));
        return PeerMethods.DATA_DIALED.parseResponse(ReadableBuffers.openStream(buffers, true));
    }

    private static ByteBuffer direct(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static void overwrite(ByteBuffer wire) {
        ByteBuffer all = wire.duplicate().clear();
        while (all.hasRemaining()) {
            all.put((byte) 0x5a);
        }
    }

    @Test
    void aWritesPayloadStaysInTheTransportsBuffersUntilReleased() {
        byte[] payload = new byte[4096];
        Arrays.fill(payload, (byte) 7);
        ByteBuffer wire = direct(DataPacket.newBuilder().setWrite(Write.newBuilder().setSector(8)
                .setData(ByteString.copyFrom(payload))).build().toByteArray());
        Inbound<DataPacket> inbound = received(wire);
        assertTrue(inbound.packet().hasWrite());
        assertNotNull(inbound.aliased(), "held: the payload was not copied");
        assertEquals(ByteString.copyFrom(payload), inbound.packet().getWrite().getData());
        overwrite(wire);
        assertNotEquals(ByteString.copyFrom(payload), inbound.packet().getWrite().getData(),
                "the payload reads the transport's memory");
        inbound.release();
    }

    @Test
    void aPacketThatNamesAWriteFirstButIsAnotherIsCopied() throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        DataPacket.newBuilder().setWrite(Write.newBuilder().setSector(8).setData(ByteString.copyFrom(new byte[512])))
                .build().writeTo(wire);
        DataPacket.newBuilder().setAuthChallenge(AuthChallenge.newBuilder().setChallenge(ByteString.copyFrom(CHALLENGE)))
                .build().writeTo(wire);
        ByteBuffer buffer = direct(wire.toByteArray());
        Inbound<DataPacket> inbound = received(buffer);
        assertTrue(inbound.packet().hasAuthChallenge(), "the last field of the oneof wins");
        assertNull(inbound.aliased(), "nothing held: the buffers went back at once");
        overwrite(buffer);
        assertEquals(ByteString.copyFrom(CHALLENGE), inbound.packet().getAuthChallenge().getChallenge(),
                "the challenge is the packet's own copy");
    }
}
