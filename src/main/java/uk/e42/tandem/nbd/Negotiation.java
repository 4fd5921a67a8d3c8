package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Option haggling of the fixed newstyle handshake, one connection's worth, as a state machine fed
 * whole frames: first the 4-byte client flags, then option headers and their data. Each step says
 * what to send back and whether to go on haggling, enter transmission or drop the client (and why).
 * No I/O here, so tests drive it with byte arrays.
 */
final class Negotiation {
    /** Option data beyond this is not a plausible name plus info requests: the client is dropped. */
    static final int MAX_OPTION_DATA = 16 * 1024;
    private static final int KNOWN_CLIENT_FLAGS = Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES;

    sealed interface Step permits Haggle, Transmit, Close {
        List<ByteBuffer> replies();
    }

    /** Keep haggling. */
    record Haggle(List<ByteBuffer> replies) implements Step {
    }

    /** Send the replies, then the transmission phase starts on {@code session}. */
    record Transmit(List<ByteBuffer> replies, NbdSession session) implements Step {
    }

    /** Send the replies, then close; {@code reason} is for the log, {@code clean} for a client's own goodbye. */
    record Close(List<ByteBuffer> replies, String reason, boolean clean) implements Step {
    }

    private enum Expect { CLIENT_FLAGS, OPTION_HEADER, OPTION_DATA }

    private final NbdExports exports;
    private Expect expect = Expect.CLIENT_FLAGS;
    private int clientFlags;
    private int option;
    private int optionLength;
    private boolean structuredReplies;

    Negotiation(NbdExports exports) {
        this.exports = exports;
    }

    /** What the server says first: NBDMAGIC, IHAVEOPT and its handshake flags. */
    static ByteBuffer greeting() {
        return ByteBuffer.allocate(18).putLong(Nbd.NBDMAGIC).putLong(Nbd.IHAVEOPT)
                .putShort((short) (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES)).flip();
    }

    /** Size of the next frame {@link #accept} wants. */
    int needed() {
        return switch (expect) {
            case CLIENT_FLAGS -> 4;
            case OPTION_HEADER -> Nbd.OPTION_HEADER_SIZE;
            case OPTION_DATA -> optionLength;
        };
    }

    Step accept(ByteBuffer frame) {
        return switch (expect) {
            case CLIENT_FLAGS -> clientFlags(frame.getInt());
            case OPTION_HEADER -> optionHeader(frame);
            case OPTION_DATA -> {
                expect = Expect.OPTION_HEADER;
                yield option(frame);
            }
        };
    }

    private Step clientFlags(int flags) {
        if ((flags & ~KNOWN_CLIENT_FLAGS) != 0) {
            return new Close(List.of(), "sent unknown client flags 0x" + Integer.toHexString(flags)
                    + " (known: FIXED_NEWSTYLE 0x1, NO_ZEROES 0x2)", false);
        }
        clientFlags = flags;
        expect = Expect.OPTION_HEADER;
        return new Haggle(List.of());
    }

    private Step optionHeader(ByteBuffer frame) {
        long magic = frame.getLong();
        if (magic != Nbd.IHAVEOPT) {
            return new Close(List.of(), "sent option magic 0x" + Long.toHexString(magic) + " instead of IHAVEOPT 0x"
                    + Long.toHexString(Nbd.IHAVEOPT), false);
        }
        option = frame.getInt();
        int length = frame.getInt();
        if (length < 0 || length > MAX_OPTION_DATA) {
            return new Close(List.of(), Nbd.optionName(option) + " announced " + Integer.toUnsignedString(length)
                    + " bytes of data, more than the " + MAX_OPTION_DATA + " this server accepts", false);
        }
        optionLength = length;
        if (length > 0) {
            expect = Expect.OPTION_DATA;
            return new Haggle(List.of());
        }
        return option(ByteBuffer.allocate(0));
    }

    private Step option(ByteBuffer data) {
        return switch (option) {
            case Nbd.OPT_EXPORT_NAME -> exportName(data);
            case Nbd.OPT_ABORT -> new Close(List.of(reply(Nbd.REP_ACK)), "ended the negotiation (NBD_OPT_ABORT)", true);
            case Nbd.OPT_LIST -> list(data);
            case Nbd.OPT_STARTTLS -> new Haggle(List.of(error(Nbd.REP_ERR_POLICY,
                    "TLS is not offered on this NBD listener; it serves localhost (tandem.nbd.host)")));
            case Nbd.OPT_INFO, Nbd.OPT_GO -> infoOrGo(data);
            case Nbd.OPT_STRUCTURED_REPLY -> structuredReply(data);
            default -> new Haggle(List.of(error(Nbd.REP_ERR_UNSUP, Nbd.optionName(option) + " is not supported")));
        };
    }

    private Step exportName(ByteBuffer data) {
        Optional<String> name = string(data, data.remaining());
        Optional<NbdExport> export = name.flatMap(exports::find);
        if (export.isEmpty()) {
            // NBD_OPT_EXPORT_NAME cannot be answered with an error: the spec says hang up.
            return new Close(List.of(), "asked (NBD_OPT_EXPORT_NAME) for "
                    + name.map(n -> "export '" + n + "'").orElse("an export name that is not an NBD string")
                    + ", which does not exist; exports: " + String.join(", ", exports.names()), false);
        }
        NbdSession session = session(export.get());
        boolean noZeroes = (clientFlags & Nbd.CLIENT_FLAG_NO_ZEROES) != 0;
        ByteBuffer reply = ByteBuffer.allocate(noZeroes ? 10 : 134).putLong(session.export().size())
                .putShort((short) session.transmissionFlags());
        return new Transmit(List.of(reply.position(reply.capacity()).flip()), session);
    }

    private Step list(ByteBuffer data) {
        if (data.hasRemaining()) {
            return new Haggle(List.of(error(Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data")));
        }
        List<ByteBuffer> replies = new ArrayList<>();
        for (String name : exports.names()) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            replies.add(reply(Nbd.REP_SERVER, ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).flip()));
        }
        replies.add(reply(Nbd.REP_ACK));
        return new Haggle(replies);
    }

    private Step structuredReply(ByteBuffer data) {
        if (data.hasRemaining()) {
            return new Haggle(List.of(error(Nbd.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data")));
        }
        structuredReplies = true;
        return new Haggle(List.of(reply(Nbd.REP_ACK)));
    }

    private Step infoOrGo(ByteBuffer data) {
        String what = Nbd.optionName(option);
        if (data.remaining() < 6) {
            return new Haggle(List.of(error(Nbd.REP_ERR_INVALID, what + " data is " + data.remaining()
                    + " bytes; it needs at least 6 (name length, name, number of info requests)")));
        }
        int nameLength = data.getInt();
        if (nameLength < 0 || nameLength > data.remaining() - 2) {
            return new Haggle(List.of(error(Nbd.REP_ERR_INVALID, what + " name length "
                    + Integer.toUnsignedString(nameLength) + " runs past the option's " + (data.limit()) + " bytes")));
        }
        Optional<String> name = string(data, nameLength);
        int requests = Short.toUnsignedInt(data.getShort());
        if (data.remaining() != 2 * requests) {
            return new Haggle(List.of(error(Nbd.REP_ERR_INVALID, what + " announces " + requests
                    + " info requests but carries " + data.remaining() + " bytes for them")));
        }
        if (name.isEmpty()) {
            return new Haggle(List.of(error(Nbd.REP_ERR_INVALID, what + " export name is not an NBD string (UTF-8 without NUL, at most 4096 bytes)")));
        }
        List<Integer> wanted = new ArrayList<>();
        while (data.hasRemaining()) {
            wanted.add(Short.toUnsignedInt(data.getShort()));
        }
        Optional<NbdExport> found = exports.find(name.get());
        if (found.isEmpty()) {
            return new Haggle(List.of(error(Nbd.REP_ERR_UNKNOWN, "no export named '" + name.get()
                    + "'; exports: " + String.join(", ", exports.names()))));
        }
        NbdSession session = session(found.get());
        List<ByteBuffer> replies = new ArrayList<>();
        replies.add(info(ByteBuffer.allocate(12).putShort((short) Nbd.INFO_EXPORT).putLong(session.export().size())
                .putShort((short) session.transmissionFlags()).flip()));
        if (wanted.contains(Nbd.INFO_NAME)) {
            replies.add(infoString(Nbd.INFO_NAME, session.export().name()));
        }
        if (wanted.contains(Nbd.INFO_DESCRIPTION)) {
            replies.add(infoString(Nbd.INFO_DESCRIPTION, description(session)));
        }
        // Sent even unasked: the constraints are enforced either way, and clients that did not ask may ignore it.
        BlockSizes sizes = session.export().blockSizes();
        replies.add(info(ByteBuffer.allocate(14).putShort((short) Nbd.INFO_BLOCK_SIZE).putInt(sizes.minimum())
                .putInt(sizes.preferred()).putInt(sizes.maximum()).flip()));
        replies.add(reply(Nbd.REP_ACK));
        if (option == Nbd.OPT_GO) {
            return new Transmit(replies, session);
        }
        return new Haggle(replies);
    }

    private NbdSession session(NbdExport export) {
        Optional<String> refusal = export.writeRefusal();
        return new NbdSession(export, structuredReplies, refusal.isPresent(), refusal.orElse(""));
    }

    private static String description(NbdSession session) {
        String names = String.join(", ", session.export().names());
        return session.readOnly() ? names + " (read-only: " + session.readOnlyReason() + ")" : names;
    }

    private ByteBuffer infoString(int type, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return info(ByteBuffer.allocate(2 + bytes.length).putShort((short) type).put(bytes).flip());
    }

    private ByteBuffer info(ByteBuffer payload) {
        return reply(Nbd.REP_INFO, payload);
    }

    private ByteBuffer reply(int type) {
        return reply(type, ByteBuffer.allocate(0));
    }

    private ByteBuffer error(int type, String message) {
        return reply(type, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)));
    }

    private ByteBuffer reply(int type, ByteBuffer data) {
        return ByteBuffer.allocate(20 + data.remaining()).putLong(Nbd.OPTION_REPLY_MAGIC).putInt(option).putInt(type)
                .putInt(data.remaining()).put(data).flip();
    }

    /** {@code length} bytes of {@code data} as a string, or empty when they are not a valid NBD string. */
    private static Optional<String> string(ByteBuffer data, int length) {
        ByteBuffer bytes = data.slice(data.position(), length);
        data.position(data.position() + length);
        if (length > Nbd.MAX_STRING) {
            return Optional.empty();
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
            return text.indexOf(0) >= 0 ? Optional.empty() : Optional.of(text);
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
