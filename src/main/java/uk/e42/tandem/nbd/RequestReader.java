package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * Request framing for the transmission phase: a 28-byte header, then for NBD_CMD_WRITE its payload.
 * Payload bytes are copied into the buffer they will be written from as they arrive, so a slow large
 * write never holds two copies. A payload larger than the export's maximum block size is skipped
 * (never buffered) and the request is handed on without it, to be refused with EINVAL; the stream
 * stays in step.
 */
final class RequestReader {
    private final int maxPayload;
    private final IntFunction<ByteBuffer> allocator;
    private NbdRequest pending;
    private long toSkip;

    /** @param allocator gives a buffer with exactly the asked-for remaining bytes */
    RequestReader(int maxPayload, IntFunction<ByteBuffer> allocator) {
        this.maxPayload = maxPayload;
        this.allocator = allocator;
    }

    /** The next whole request, or null when more bytes are needed. */
    NbdRequest next(ByteQueue in) throws NbdProtocolException {
        if (pending == null) {
            ByteBuffer header = in.take(Nbd.REQUEST_HEADER_SIZE);
            if (header == null) {
                return null;
            }
            pending = decodeHeader(header);
            if (pending.type() == Nbd.CMD_WRITE && pending.length() > 0) {
                if (pending.length() > maxPayload) {
                    toSkip = pending.length();
                } else {
                    pending = withPayload(pending, allocator.apply((int) pending.length()));
                }
            }
        }
        if (toSkip > 0) {
            toSkip -= in.skip(toSkip);
            if (toSkip > 0) {
                return null;
            }
        } else if (pending.payload() != null) {
            in.fill(pending.payload());
            if (pending.payload().hasRemaining()) {
                return null;
            }
            pending.payload().flip();
        }
        NbdRequest done = pending;
        pending = null;
        return done;
    }

    /** A buffer that is being filled for a request not yet complete; the caller recycles it on close. */
    ByteBuffer abandonedPayload() {
        return pending == null ? null : pending.payload();
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

    private static NbdRequest withPayload(NbdRequest r, ByteBuffer payload) {
        return new NbdRequest(r.flags(), r.type(), r.handle(), r.offset(), r.length(), payload);
    }
}
