package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/** A hand-rolled NBD client on a plain socket, for sending what real clients never would. */
final class RawNbdClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;
    /** Bytes the kernel accepted from us so far. */
    final AtomicLong sent = new AtomicLong();

    RawNbdClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        assertEquals(Nbd.NBDMAGIC, in.readLong());
        assertEquals(Nbd.IHAVEOPT, in.readLong());
        assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, in.readShort());
    }

    /** Connects and enters transmission on {@code export} with structured replies. */
    static RawNbdClient opened(int port, String export) throws IOException {
        RawNbdClient c = new RawNbdClient(port);
        c.send(ByteBuffer.allocate(4).putInt(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES).flip());
        c.send(NbdBytes.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]));
        assertEquals(Nbd.REP_ACK, c.optionReply().type());
        c.send(NbdBytes.option(Nbd.OPT_GO, NbdBytes.goData(export)));
        for (NbdBytes.OptionReply r = c.optionReply(); r.type() != Nbd.REP_ACK; r = c.optionReply()) {
            assertEquals(Nbd.REP_INFO, r.type(), "GO failed: " + r.text());
        }
        return c;
    }

    void send(ByteBuffer bytes) throws IOException {
        out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        out.flush();
        sent.addAndGet(bytes.remaining());
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        sent.addAndGet(bytes.length);
    }

    NbdBytes.OptionReply optionReply() throws IOException {
        long magic = in.readLong();
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new NbdBytes.OptionReply(magic, option, type, data);
    }

    /** A whole reply to one request: error 0 and the read data, or the error and its message. */
    record Reply(long handle, int error, String message, byte[] data) {
    }

    /** Reads one reply of a structured session (simple replies are accepted too). */
    Reply reply() throws IOException {
        int magic = in.readInt();
        if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
            int error = in.readInt();
            return new Reply(in.readLong(), error, "", new byte[0]);
        }
        assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, magic);
        int flags = in.readShort();
        int type = Short.toUnsignedInt(in.readShort());
        long handle = in.readLong();
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        assertEquals(Nbd.REPLY_FLAG_DONE, flags & Nbd.REPLY_FLAG_DONE, "this server answers with one chunk");
        ByteBuffer p = ByteBuffer.wrap(payload);
        return switch (type) {
            case Nbd.REPLY_TYPE_NONE -> new Reply(handle, 0, "", new byte[0]);
            case Nbd.REPLY_TYPE_OFFSET_DATA -> {
                p.getLong();
                byte[] data = new byte[p.remaining()];
                p.get(data);
                yield new Reply(handle, 0, "", data);
            }
            case Nbd.REPLY_TYPE_ERROR -> {
                int error = p.getInt();
                byte[] text = new byte[p.getShort()];
                p.get(text);
                yield new Reply(handle, error, new String(text, StandardCharsets.UTF_8), new byte[0]);
            }
            default -> throw new AssertionError("unexpected reply chunk type " + type);
        };
    }

    Reply call(int flags, int type, long handle, long offset, long length, byte[] payload) throws IOException {
        ByteBuffer header = NbdBytes.request(flags, type, handle, offset, length);
        // Header and payload in one send, as libnbd's MSG_MORE does: two would wait out Nagle and a delayed ACK.
        ByteBuffer request = ByteBuffer.allocate(header.remaining() + (payload == null ? 0 : payload.length)).put(header);
        if (payload != null) {
            request.put(payload);
        }
        send(request.flip());
        Reply r = reply();
        assertEquals(handle, r.handle());
        return r;
    }

    /** True once the server has closed the connection (reads end). */
    boolean closedByServer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain whatever was still in flight
            }
            return true;
        } catch (EOFException | SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
