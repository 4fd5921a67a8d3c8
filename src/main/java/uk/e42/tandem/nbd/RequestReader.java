package uk.e42.tandem.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Request framing for the transmission phase: a 28-byte header, then for NBD_CMD_WRITE its payload,
 * read straight into the buffer it will be written from. A payload larger than the export's maximum
 * block size is skipped (never buffered) and the request is handed on without it, to be refused with
 * EINVAL; the stream stays in step.
 */
final class RequestReader {
    private final int maxPayload;
    private final IntFunction<ByteBuffer> allocator;
    private final Consumer<ByteBuffer> release;

    /**
     * @param allocator gives a buffer with exactly the asked-for remaining bytes
     * @param release takes back a payload buffer when the connection ends before the payload arrived
     */
    RequestReader(int maxPayload, IntFunction<ByteBuffer> allocator, Consumer<ByteBuffer> release) {
        this.maxPayload = maxPayload;
        this.allocator = allocator;
        this.release = release;
    }

    /** The next whole request, blocking until it arrived. */
    NbdRequest next(ChannelInput in) throws IOException, NbdProtocolException {
        NbdRequest request = decodeHeader(in.frame(Nbd.REQUEST_HEADER_SIZE));
        if (request.type() != Nbd.CMD_WRITE || request.length() == 0) {
            return request;
        }
        if (request.length() > maxPayload) {
            in.skip(request.length());
            return request;
        }
        ByteBuffer payload = allocator.apply((int) request.length());
        try {
            in.fill(payload);
        } catch (IOException e) {
            release.accept(payload);
            throw e;
        }
        return new NbdRequest(request.flags(), request.type(), request.handle(), request.offset(), request.length(),
                payload.flip());
    }

    static NbdRequest decodeHeader(ByteBuffer header) throws NbdProtocolException {
        int magic = header.getInt();
        if (magic != Nbd.REQUEST_MAGIC) {
            throw new NbdProtocolException("sent request magic 0x" + Integer.toHexString(magic)
                    + " instead of 0x" + Integer.toHexString(Nbd.REQUEST_MAGIC));
        }
        int flags = Short.toUnsignedInt(header.getShort());
        int type = Short.toUnsignedInt(header.getShort());
        long handle = header.getLong();
        long offset = header.getLong();
        long length = Integer.toUnsignedLong(header.getInt());
        ByteBuffer payload = type == Nbd.CMD_WRITE && length == 0 ? ByteBuffer.allocate(0) : null;
        return new NbdRequest(flags, type, handle, offset, length, payload);
    }
}
