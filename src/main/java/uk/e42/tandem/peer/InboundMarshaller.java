package uk.e42.tandem.peer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.ToIntFunction;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;

import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;

/**
 * Parses a received packet without copying its payload: gRPC hands over the message as a stream over
 * its Netty buffers ({@link Detachable}, {@link HasByteBuffer}); when the packet's field is one of
 * {@code aliased} (a write, a resync reply), the stream is detached from gRPC and the packet's
 * {@code bytes} alias those buffers, which stay ours until {@link Inbound#release()}. Every other
 * packet (handshake, barriers, requests: small, and some are kept) is copied and the buffers go back
 * at once, so nothing else ever reads released memory.
 */
final class InboundMarshaller<T extends Message> implements MethodDescriptor.Marshaller<Inbound<T>> {

    private final MethodDescriptor.Marshaller<T> outbound;
    private final Parser<T> parser;
    private final ToIntFunction<T> packetCase;
    private final IntPredicate aliased;

    /**
     * @param packetCase the number of the packet's oneof field that is set (0: none)
     * @param aliased    the numbers of the packet's oneof fields whose bytes are aliased
     */
    @SuppressWarnings("unchecked")
    InboundMarshaller(T defaultInstance, ToIntFunction<T> packetCase, IntPredicate aliased) {
        this.outbound = ProtoUtils.marshaller(defaultInstance);
        this.parser = (Parser<T>) defaultInstance.getParserForType();
        this.packetCase = packetCase;
        this.aliased = aliased;
    }

    /** Only for completeness: gRPC streams what this side sends with the plain marshaller. */
    @Override
    public InputStream stream(Inbound<T> value) {
        return outbound.stream(value.packet());
    }

    @Override
    public Inbound<T> parse(InputStream stream) {
        if (!(stream instanceof Detachable detachable) || !(stream instanceof HasByteBuffer buffers)
                || !(stream instanceof KnownLength) || !buffers.byteBufferSupported()) {
            return new Inbound<>(outbound.parse(stream), null);
        }
        InputStream detached = null;
        try {
            int size = stream.available();
            detached = detachable.detach();
            ByteString bytes = ByteString.copyFrom(pieces(detached, size));
            boolean alias = aliased.test(firstField(bytes));
            T packet = parse(bytes, alias);
            if (alias && !aliased.test(packetCase.applyAsInt(packet))) {
                // A packet may name one oneof field first and set another last (the last wins): only what it
                // turned out to be decides, so nothing else keeps bytes in buffers that go back below.
                packet = parse(bytes, false);
                alias = false;
            }
            if (!alias) {
                detached.close();
                detached = null;
                return new Inbound<>(packet, null);
            }
            Inbound<T> inbound = new Inbound<>(packet, detached);
            detached = null;
            return inbound;
        } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (detached != null) {
                closeQuietly(detached);
            }
        }
    }

    /**
     * The stream's buffers as byte strings, without consuming them: the mark keeps gRPC from releasing
     * each buffer as the skip passes it.
     */
    private static List<ByteString> pieces(InputStream detached, int size) throws IOException {
        List<ByteString> pieces = new ArrayList<>();
        detached.mark(size);
        while (detached.available() > 0) {
            ByteBuffer piece = ((HasByteBuffer) detached).getByteBuffer();
            int length = piece.remaining();
            pieces.add(UnsafeByteOperations.unsafeWrap(piece));
            if (detached.skip(length) != length) {
                throw new IOException("gRPC's message stream skipped less than its buffer held");
            }
        }
        detached.reset();
        return pieces;
    }

    private T parse(ByteString bytes, boolean alias) throws IOException {
        CodedInputStream input = bytes.newCodedInput();
        input.enableAliasing(alias);
        T packet = parser.parseFrom(input);
        input.checkLastTagWas(0);
        return packet;
    }

    /** The number of the message's first field: a packet's oneof case. 0 for an empty message. */
    private static int firstField(ByteString bytes) throws IOException {
        return bytes.isEmpty() ? 0 : WireFormat.getTagFieldNumber(bytes.newCodedInput().readTag());
    }

    private static void closeQuietly(InputStream detached) {
        try {
            detached.close();
        } catch (IOException | RuntimeException e) {
            // Releasing a Netty buffer does not fail; nothing to add to the error being thrown.
        }
    }
}
