package uk.e42.tandem.peer;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.PeerGrpc;

/**
 * Reads data packets so that a write's payload is the array the message was read into, not a copy
 * of it. gRPC's own marshaller reads every message into one array reused per thread, so protobuf
 * must copy each payload out again (a second pass over every replicated byte on the Secondary).
 * Here each message is read into an array of its own that nothing else holds or reuses, and the
 * payload aliases it. Sending is gRPC's usual serialization.
 */
final class DataPacketMarshaller implements MethodDescriptor.PrototypeMarshaller<DataPacket> {

    private static final DataPacketMarshaller INSTANCE = new DataPacketMarshaller();

    /** The Peer service's data stream, read with this marshaller; what both ends use. */
    static final MethodDescriptor<DataPacket, DataPacket> DATA_METHOD = PeerGrpc.getDataMethod()
            .toBuilder(INSTANCE, INSTANCE).build();

    /** The generated Peer service definition with its data method read by this marshaller. */
    @SuppressWarnings("unchecked")
    static ServerServiceDefinition withDataMethod(ServerServiceDefinition generated) {
        ServiceDescriptor descriptor = generated.getServiceDescriptor();
        ServiceDescriptor.Builder described = ServiceDescriptor.newBuilder(descriptor.getName())
                .setSchemaDescriptor(descriptor.getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> others = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
            if (method.getMethodDescriptor().getFullMethodName().equals(DATA_METHOD.getFullMethodName())) {
                continue;
            }
            described.addMethod(method.getMethodDescriptor());
            others.add(method);
        }
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(
                described.addMethod(DATA_METHOD).build());
        others.forEach(service::addMethod);
        ServerCallHandler<DataPacket, DataPacket> data = (ServerCallHandler<DataPacket, DataPacket>) generated
                .getMethod(DATA_METHOD.getFullMethodName()).getServerCallHandler();
        return service.addMethod(DATA_METHOD, data).build();
    }

    private final MethodDescriptor.Marshaller<DataPacket> generated = ProtoUtils.marshaller(
            DataPacket.getDefaultInstance());

    private DataPacketMarshaller() {
    }

    @Override
    public DataPacket getMessagePrototype() {
        return DataPacket.getDefaultInstance();
    }

    @Override
    public Class<DataPacket> getMessageClass() {
        return DataPacket.class;
    }

    @Override
    public InputStream stream(DataPacket value) {
        return generated.stream(value);
    }

    @Override
    public DataPacket parse(InputStream stream) {
        if (!(stream instanceof KnownLength)) {
            return generated.parse(stream);
        }
        try {
            int size = stream.available();
            byte[] message = new byte[size];
            if (stream.readNBytes(message, 0, size) != size || stream.read() != -1) {
                throw new IOException("message size inaccurate: " + size + " announced");
            }
            return parseOwned(message);
        } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot read a data packet").withCause(e).asRuntimeException();
        }
    }

    /**
     * Parses {@code message}, which the caller hands over: the packet's byte fields are views of it,
     * so it must never be written again.
     */
    static DataPacket parseOwned(byte[] message) throws InvalidProtocolBufferException {
        CodedInputStream input = UnsafeByteOperations.unsafeWrap(message).newCodedInput();
        input.enableAliasing(true);
        input.setSizeLimit(Integer.MAX_VALUE);
        DataPacket packet = DataPacket.parser().parseFrom(input, ExtensionRegistryLite.getEmptyRegistry());
        input.checkLastTagWas(0);
        return packet;
    }
}
