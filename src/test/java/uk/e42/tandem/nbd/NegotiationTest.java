package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.disk.FileBlockStore;

class NegotiationTest {
    static final long SIZE = 1 << 20;
    @TempDir
    Path dir;
    NbdExports exports;
    String refusal;

    @BeforeEach
    void exports() throws IOException {
        Path file = dir.resolve("disk");
        Files.write(file, new byte[(int) SIZE]);
        FileBlockStore store = FileBlockStore.open(file);
        exports = NbdExports.of(new NbdExport(List.of("replicated0", "drbd0"), store, () -> Optional.ofNullable(refusal),
                true, BlockSizes.forSize(SIZE)));
    }

    private Negotiation started(int clientFlags) {
        Negotiation n = new Negotiation(exports);
        assertEquals(4, n.needed());
        assertInstanceOf(Negotiation.Haggle.class, n.accept(ByteBuffer.allocate(4).putInt(clientFlags).flip()));
        return n;
    }

    /** Feeds a whole option the way the connection does: header frame, then data frame. */
    private static Negotiation.Step send(Negotiation n, ByteBuffer option) {
        assertEquals(16, n.needed());
        Negotiation.Step step = n.accept(option.slice(0, 16));
        if (option.remaining() > 16) {
            assertInstanceOf(Negotiation.Haggle.class, step);
            assertEquals(option.remaining() - 16, n.needed());
            step = n.accept(option.slice(16, option.remaining() - 16));
        }
        return step;
    }

    @Test
    void greetingIsFixedNewstyleWithNoZeroes() {
        ByteBuffer g = Negotiation.greeting();
        assertEquals(Nbd.NBDMAGIC, g.getLong());
        assertEquals(Nbd.IHAVEOPT, g.getLong());
        assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, g.getShort());
        assertFalse(g.hasRemaining());
    }

    @Test
    void unknownClientFlagsDropTheClient() {
        Negotiation.Step step = new Negotiation(exports).accept(ByteBuffer.allocate(4).putInt(0x4).flip());
        Negotiation.Close close = assertInstanceOf(Negotiation.Close.class, step);
        assertTrue(close.reason().contains("unknown client flags 0x4"), close.reason());
    }

    @Test
    void badOptionMagicDropsTheClient() {
        Negotiation n = started(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
        ByteBuffer bad = ByteBuffer.allocate(16).putLong(0x1234).putInt(Nbd.OPT_LIST).putInt(0).flip();
        Negotiation.Close close = assertInstanceOf(Negotiation.Close.class, n.accept(bad));
        assertTrue(close.reason().contains("option magic 0x1234"), close.reason());
    }

    @Test
    void hugeOptionDataDropsTheClientBeforeBuffering() {
        Negotiation n = started(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
        ByteBuffer header = ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_GO).putInt(-1).flip();
        Negotiation.Close close = assertInstanceOf(Negotiation.Close.class, n.accept(header));
        assertTrue(close.reason().contains("4294967295 bytes"), close.reason());
    }

    @Test
    void unknownOptionIsUnsupportedAndHagglingGoesOn() {
        Negotiation n = started(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
        Negotiation.Step step = send(n, NbdBytes.option(42, new byte[] {1, 2, 3}));
        NbdBytes.OptionReply reply = NbdBytes.optionReply(assertInstanceOf(Negotiation.Haggle.class, step).replies().get(0));
        assertEquals(Nbd.OPTION_REPLY_MAGIC, reply.magic());
        assertEquals(42, reply.option());
        assertEquals(Nbd.REP_ERR_UNSUP, reply.type());
        assertInstanceOf(Negotiation.Haggle.class, send(n, NbdBytes.option(Nbd.OPT_LIST, new byte[0])));
    }

    @Test
    void listNamesEveryNameOfEveryExport() {
        Negotiation.Step step = send(started(1), NbdBytes.option(Nbd.OPT_LIST, new byte[0]));
        List<ByteBuffer> replies = step.replies();
        assertEquals(3, replies.size());
        for (int i = 0; i < 2; i++) {
            NbdBytes.OptionReply r = NbdBytes.optionReply(replies.get(i));
            assertEquals(Nbd.REP_SERVER, r.type());
            assertEquals(List.of("replicated0", "drbd0").get(i), new String(r.data(), 4, r.data().length - 4));
        }
        assertEquals(Nbd.REP_ACK, NbdBytes.optionReply(replies.get(2)).type());
        NbdBytes.OptionReply invalid = NbdBytes.optionReply(send(started(1), NbdBytes.option(Nbd.OPT_LIST,
                new byte[] {0})).replies().get(0));
        assertEquals(Nbd.REP_ERR_INVALID, invalid.type());
    }

    @Test
    void goByDeviceNameEntersTransmissionWithSizeFlagsAndBlockSizes() {
        Negotiation n = started(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
        send(n, NbdBytes.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]));
        Negotiation.Step step = send(n, NbdBytes.option(Nbd.OPT_GO, NbdBytes.goData("drbd0", Nbd.INFO_BLOCK_SIZE,
                Nbd.INFO_NAME)));
        Negotiation.Transmit go = assertInstanceOf(Negotiation.Transmit.class, step);
        assertTrue(go.session().structuredReplies());
        assertEquals("replicated0", go.session().export().name());
        ByteBuffer info = NbdBytes.concat(go.replies());
        NbdBytes.OptionReply export = NbdBytes.optionReply(info);
        assertEquals(Nbd.REP_INFO, export.type());
        ByteBuffer e = ByteBuffer.wrap(export.data());
        assertEquals(Nbd.INFO_EXPORT, e.getShort());
        assertEquals(SIZE, e.getLong());
        int flags = e.getShort();
        int expected = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM
                | Nbd.FLAG_SEND_WRITE_ZEROES | Nbd.FLAG_CAN_MULTI_CONN;
        assertEquals(expected, flags);
        NbdBytes.OptionReply name = NbdBytes.optionReply(info);
        assertEquals(Nbd.INFO_NAME, ByteBuffer.wrap(name.data()).getShort());
        ByteBuffer sizes = ByteBuffer.wrap(NbdBytes.optionReply(info).data());
        assertEquals(Nbd.INFO_BLOCK_SIZE, sizes.getShort());
        assertEquals(512, sizes.getInt());
        assertEquals(4096, sizes.getInt());
        assertEquals(32 << 20, sizes.getInt());
        assertEquals(Nbd.REP_ACK, NbdBytes.optionReply(info).type());
        assertFalse(info.hasRemaining());
    }

    @Test
    void infoAnswersLikeGoButKeepsHaggling() {
        Negotiation n = started(1);
        Negotiation.Step step = send(n, NbdBytes.option(Nbd.OPT_INFO, NbdBytes.goData("replicated0")));
        assertInstanceOf(Negotiation.Haggle.class, step);
        assertEquals(Nbd.REP_ACK, NbdBytes.optionReply(step.replies().get(step.replies().size() - 1)).type());
        assertInstanceOf(Negotiation.Transmit.class, send(n, NbdBytes.option(Nbd.OPT_GO, NbdBytes.goData(""))));
    }

    @Test
    void goToAnUnknownExportSaysWhichExportsExist() {
        Negotiation.Step step = send(started(1), NbdBytes.option(Nbd.OPT_GO, NbdBytes.goData("drbd9")));
        NbdBytes.OptionReply r = NbdBytes.optionReply(assertInstanceOf(Negotiation.Haggle.class, step).replies().get(0));
        assertEquals(Nbd.REP_ERR_UNKNOWN, r.type());
        assertEquals("no export named 'drbd9'; exports: replicated0, drbd0", r.text());
    }

    @Test
    void malformedGoIsInvalid() {
        ByteBuffer data = ByteBuffer.allocate(10).putInt(100).putInt(0).putShort((short) 0);
        NbdBytes.OptionReply r = NbdBytes.optionReply(send(started(1), NbdBytes.option(Nbd.OPT_GO, data.array()))
                .replies().get(0));
        assertEquals(Nbd.REP_ERR_INVALID, r.type());
        byte[] oddInfos = NbdBytes.goData("drbd0", Nbd.INFO_NAME);
        oddInfos[4 + 5 + 1] = 2;
        r = NbdBytes.optionReply(send(started(1), NbdBytes.option(Nbd.OPT_INFO, oddInfos)).replies().get(0));
        assertEquals(Nbd.REP_ERR_INVALID, r.type());
        assertTrue(r.text().contains("announces 2 info requests"), r.text());
    }

    @Test
    void exportNameRepliesWithOrWithoutTheZeroPadding() {
        Negotiation.Transmit t = assertInstanceOf(Negotiation.Transmit.class,
                send(started(1), NbdBytes.option(Nbd.OPT_EXPORT_NAME, "drbd0".getBytes())));
        assertEquals(8 + 2 + 124, t.replies().get(0).remaining());
        t = assertInstanceOf(Negotiation.Transmit.class, send(started(3), NbdBytes.option(Nbd.OPT_EXPORT_NAME,
                "drbd0".getBytes())));
        ByteBuffer r = t.replies().get(0);
        assertEquals(10, r.remaining());
        assertEquals(SIZE, r.getLong());
        assertFalse(t.session().structuredReplies());
    }

    @Test
    void exportNameOfAnUnknownExportHangsUp() {
        Negotiation.Close c = assertInstanceOf(Negotiation.Close.class,
                send(started(1), NbdBytes.option(Nbd.OPT_EXPORT_NAME, "nope".getBytes())));
        assertTrue(c.reason().contains("export 'nope', which does not exist"), c.reason());
        assertTrue(c.replies().isEmpty());
    }

    @Test
    void abortIsAcknowledgedAndClosesCleanly() {
        Negotiation.Close c = assertInstanceOf(Negotiation.Close.class,
                send(started(1), NbdBytes.option(Nbd.OPT_ABORT, new byte[0])));
        assertTrue(c.clean());
        assertEquals(Nbd.REP_ACK, NbdBytes.optionReply(c.replies().get(0)).type());
    }

    @Test
    void starttlsIsRefusedByPolicy() {
        NbdBytes.OptionReply r = NbdBytes.optionReply(send(started(1), NbdBytes.option(Nbd.OPT_STARTTLS, new byte[0]))
                .replies().get(0));
        assertEquals(Nbd.REP_ERR_POLICY, r.type());
    }

    @Test
    void aSecondaryIsAnnouncedReadOnlyWithItsReason() {
        refusal = "replicated0 is Secondary";
        Negotiation n = started(1);
        Negotiation.Transmit go = assertInstanceOf(Negotiation.Transmit.class,
                send(n, NbdBytes.option(Nbd.OPT_GO, NbdBytes.goData("replicated0", Nbd.INFO_DESCRIPTION))));
        assertTrue(go.session().readOnly());
        ByteBuffer info = NbdBytes.concat(go.replies());
        ByteBuffer e = ByteBuffer.wrap(NbdBytes.optionReply(info).data());
        e.getShort();
        e.getLong();
        int flags = e.getShort();
        assertEquals(Nbd.FLAG_READ_ONLY, flags & Nbd.FLAG_READ_ONLY);
        assertEquals(0, flags & (Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES));
        NbdBytes.OptionReply description = NbdBytes.optionReply(info);
        assertTrue(description.text().contains("read-only: replicated0 is Secondary"), description.text());
    }
}
