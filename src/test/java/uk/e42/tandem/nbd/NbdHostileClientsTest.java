package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed and hostile clients on raw sockets: each is answered per spec or dropped; others go on. */
class NbdHostileClientsTest {
    static final long SIZE = 64 << 20;
    @TempDir
    Path dir;
    TestNbdServer nbd;

    @BeforeEach
    void start() throws IOException {
        nbd = new TestNbdServer(dir.resolve("disk"), SIZE);
    }

    @AfterEach
    void stop() throws IOException {
        nbd.close();
    }

    /** A well-behaved client still gets served: write, read back. */
    private void othersAreStillServed() throws IOException {
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "drbd0")) {
            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) 0x5a);
            assertEquals(0, c.call(0, Nbd.CMD_WRITE, 1, 8192, 4096, data).error());
            assertArrayEquals(data, c.call(0, Nbd.CMD_READ, 2, 8192, 4096, null).data());
        }
    }

    @Test
    void unknownClientFlagsAreDropped() throws IOException {
        try (RawNbdClient c = new RawNbdClient(nbd.port)) {
            c.send(ByteBuffer.allocate(4).putInt(0xffffffff).flip());
            assertTrue(c.closedByServer());
        }
        othersAreStillServed();
    }

    @Test
    void badOptionMagicIsDropped() throws IOException {
        try (RawNbdClient c = new RawNbdClient(nbd.port)) {
            c.send(ByteBuffer.allocate(4).putInt(1).flip());
            c.send("GET / HTTP/1.1\r\n\r\n".getBytes());
            assertTrue(c.closedByServer());
        }
        othersAreStillServed();
    }

    @Test
    void unknownOptionIsUnsupportedAndTheClientMayGoOn() throws IOException {
        try (RawNbdClient c = new RawNbdClient(nbd.port)) {
            c.send(ByteBuffer.allocate(4).putInt(1).flip());
            c.send(NbdBytes.option(0x7777, new byte[] {1}));
            NbdBytes.OptionReply r = c.optionReply();
            assertEquals(Nbd.REP_ERR_UNSUP, r.type());
            assertEquals(0x7777, r.option());
            c.send(NbdBytes.option(Nbd.OPT_GO, NbdBytes.goData("replicated0")));
            assertEquals(Nbd.REP_INFO, c.optionReply().type());
        }
    }

    @Test
    void badRequestMagicDropsOnlyThatClient() throws IOException {
        try (RawNbdClient bad = RawNbdClient.opened(nbd.port, "replicated0");
                RawNbdClient good = RawNbdClient.opened(nbd.port, "replicated0")) {
            bad.send(new byte[28]);
            assertTrue(bad.closedByServer());
            assertEquals(0, good.call(0, Nbd.CMD_FLUSH, 1, 0, 0, null).error());
        }
    }

    @Test
    void requestsBeyondTheEndGetTheirErrorsAndTheConnectionGoesOn() throws IOException {
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            RawNbdClient.Reply write = c.call(0, Nbd.CMD_WRITE, 1, SIZE, 512, new byte[512]);
            assertEquals(NbdError.ENOSPC.code(), write.error());
            assertTrue(write.message().contains("beyond the end of export replicated0"), write.message());
            assertEquals(NbdError.EINVAL.code(), c.call(0, Nbd.CMD_READ, 2, SIZE - 512, 1024, null).error());
            assertEquals(NbdError.EINVAL.code(), c.call(0, Nbd.CMD_READ, 3, 100, 512, null).error());
            assertEquals(NbdError.EINVAL.code(), c.call(0, 99, 4, 0, 0, null).error());
            assertEquals(0, c.call(0, Nbd.CMD_READ, 5, SIZE - 512, 512, null).error());
        }
    }

    @Test
    void lengthZeroIsAHarmlessNoOp() throws IOException {
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            RawNbdClient.Reply read = c.call(0, Nbd.CMD_READ, 1, 0, 0, null);
            assertEquals(0, read.error());
            assertEquals(0, read.data().length);
            assertEquals(0, c.call(0, Nbd.CMD_WRITE, 2, 4096, 0, new byte[0]).error());
            assertEquals(0, c.call(0, Nbd.CMD_TRIM, 3, 4096, 0, null).error());
        }
    }

    @Test
    void hugeLengthsAreRefusedWithoutBufferingThem() throws IOException {
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            RawNbdClient.Reply read = c.call(0, Nbd.CMD_READ, 1, 0, 0xfffffe00L, null);
            assertEquals(NbdError.EINVAL.code(), read.error());
            int tooBig = 48 << 20;
            RawNbdClient.Reply write = c.call(0, Nbd.CMD_WRITE, 2, 0, tooBig, new byte[tooBig]);
            assertEquals(NbdError.EINVAL.code(), write.error());
            assertTrue(write.message().contains("exceeds the maximum block size 33554432"), write.message());
            assertEquals(0, c.call(0, Nbd.CMD_FLUSH, 3, 0, 0, null).error());
        }
    }

    @Test
    void disconnectMidRequestLeavesTheServerServing() throws Exception {
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            c.send(NbdBytes.request(0, Nbd.CMD_WRITE, 1, 0, 1 << 20));
            c.send(new byte[300_000]);
            waitFor(() -> nbd.export.clients() == 1);
        }
        waitFor(() -> nbd.export.clients() == 0);
        othersAreStillServed();
    }

    @Test
    void clientCountFollowsConnectionsInTransmission() throws Exception {
        assertEquals(0, nbd.server.clients("replicated0"));
        try (RawNbdClient a = RawNbdClient.opened(nbd.port, "replicated0");
                RawNbdClient b = RawNbdClient.opened(nbd.port, "drbd0");
                RawNbdClient haggling = new RawNbdClient(nbd.port)) {
            waitFor(() -> nbd.server.clients("drbd0") == 2);
            a.send(NbdBytes.request(0, Nbd.CMD_DISC, 1, 0, 0));
            assertTrue(a.closedByServer());
            waitFor(() -> nbd.server.clients("replicated0") == 1);
        }
        waitFor(() -> nbd.server.clients("replicated0") == 0);
    }

    @Test
    void aDemotedExportRefusesWritesWithEpermAndTheReason() throws IOException {
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            nbd.refusal.set("replicated0 is Secondary (tandem secondary replicated0)");
            RawNbdClient.Reply r = c.call(0, Nbd.CMD_WRITE, 1, 0, 512, new byte[512]);
            assertEquals(NbdError.EPERM.code(), r.error());
            assertTrue(r.message().contains("replicated0 is Secondary"), r.message());
            assertEquals(NbdError.EPERM.code(), c.call(0, Nbd.CMD_TRIM, 2, 0, 512, null).error());
            assertEquals(0, c.call(0, Nbd.CMD_READ, 3, 0, 512, null).error());
        }
    }

    /**
     * Requests that arrive together run side by side: a read sent right behind a write that is stuck at
     * the store is answered first, and a write to the same block waits for the stuck one, in order.
     */
    @Test
    void pipelinedRequestsRunSideBySideAndOverlappingOnesInOrder() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        nbd.writeGate.set(gate);
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            byte[] first = new byte[4096];
            Arrays.fill(first, (byte) 1);
            byte[] second = new byte[4096];
            Arrays.fill(second, (byte) 2);
            ByteBuffer burst = ByteBuffer.allocate(3 * 28 + 2 * 4096);
            burst.put(NbdBytes.request(0, Nbd.CMD_WRITE, 1, 0, 4096)).put(first);
            burst.put(NbdBytes.request(0, Nbd.CMD_READ, 2, 1 << 20, 4096));
            burst.put(NbdBytes.request(0, Nbd.CMD_WRITE, 3, 0, 4096)).put(second);
            c.send(burst.flip());
            RawNbdClient.Reply read = c.reply();
            assertEquals(2, read.handle(), "the read waited for the stuck write");
            nbd.writeGate.set(null);
            gate.countDown();
            assertEquals(Set.of(1L, 3L), Set.of(c.reply().handle(), c.reply().handle()));
            assertArrayEquals(second, c.call(0, Nbd.CMD_READ, 4, 0, 4096, null).data());
        }
    }

    /**
     * A request sent while another is stuck at the store is read and answered at once: the thread that read
     * the stuck write passed the turn to read on before writing (it used to run a lone request itself and
     * read nothing until it was answered).
     */
    @Test
    void aRequestSentWhileAnotherRunsIsNotHeldUp() throws Exception {
        answersARequestSentWhileAnotherIsStuck(nbd);
    }

    /**
     * With {@code tandem.nbd.threads} 1 the one request thread is not the one that reads: the reading,
     * handed on by the stuck write's thread, sits on a thread of its own.
     */
    @Test
    void oneRequestThreadRunsARequestWhileTheReadingIsHandedOn() throws Exception {
        try (TestNbdServer oneThread = new TestNbdServer(dir.resolve("one-thread"), SIZE, 1)) {
            answersARequestSentWhileAnotherIsStuck(oneThread);
        }
    }

    private static void answersARequestSentWhileAnotherIsStuck(TestNbdServer server) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        server.writeGate.set(gate);
        try (RawNbdClient c = RawNbdClient.opened(server.port, "replicated0")) {
            c.send(NbdBytes.request(0, Nbd.CMD_WRITE, 1, 0, 4096));
            c.send(new byte[4096]);
            waitFor(() -> server.writesAtGate.get() == 1);
            c.send(NbdBytes.request(0, Nbd.CMD_READ, 2, 1 << 20, 4096));
            assertEquals(2, c.reply().handle(), "the read waited for the stuck write");
            server.writeGate.set(null);
            gate.countDown();
            assertEquals(1, c.reply().handle());
        }
    }

    /**
     * One request at a time, as fio at queue depth 1: each runs on the thread that read it, which hands the
     * reading on first, so the reading moves from thread to thread; no request is lost on the way and each
     * write is read back.
     */
    @Test
    void requestsOneAtATimeAreEachAnsweredAsTheReadingMovesOn() throws Exception {
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            byte[] data = new byte[4096];
            for (int i = 0; i < 2000; i++) {
                Arrays.fill(data, (byte) i);
                long offset = (i % 64) * 4096L;
                assertEquals(0, c.call(0, Nbd.CMD_WRITE, 2L * i, offset, 4096, data).error());
                RawNbdClient.Reply read = c.call(0, Nbd.CMD_READ, 2L * i + 1, offset, 4096, null);
                assertEquals(2L * i + 1, read.handle());
                assertArrayEquals(data, read.data(), "request " + i);
            }
        }
        othersAreStillServed();
    }

    /**
     * Thousands of overlapping pairs in flight at once: every request is answered exactly once. A request
     * that waits for an overlapping one is started by whoever finishes that one, never also by the thread
     * that admitted it (a second start wrote the block twice, answered the handle twice and gave its
     * payload buffer back to the pool twice).
     */
    @Test
    void overlappingRequestsInABurstAreEachAnsweredOnce() throws Exception {
        int requests = 6000;
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            Thread sender = Thread.ofPlatform().start(() -> {
                ByteBuffer request = ByteBuffer.allocate(28 + 4096);
                try {
                    for (int i = 0; i < requests; i++) {
                        // Pairs of writes to one of 16 blocks: each second write of a pair waits for the first.
                        request.clear().put(NbdBytes.request(0, Nbd.CMD_WRITE, i, (i / 2 % 16) * 4096L, 4096));
                        c.send(request.position(28 + 4096).flip());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Set<Long> answered = new HashSet<>();
            for (int i = 0; i < requests; i++) {
                RawNbdClient.Reply reply = c.reply();
                assertTrue(answered.add(reply.handle()), "handle " + reply.handle() + " answered twice");
            }
            sender.join();
            assertEquals(99_999L, c.call(0, Nbd.CMD_READ, 99_999, 0, 4096, null).handle(),
                    "no reply beyond one per request");
        }
    }

    /**
     * While the store does not keep up, a client that pipelines 1 MiB writes must not make the server
     * buffer their payloads without bound: once the window is full reading pauses, the kernel's buffers
     * fill and the client's sends stall, with the server holding at most its window.
     */
    @Test
    void aClientFasterThanTheStoreIsThrottled() throws Exception {
        long limit = 1L << 30;
        CountDownLatch gate = new CountDownLatch(1);
        nbd.writeGate.set(gate);
        try (RawNbdClient c = RawNbdClient.opened(nbd.port, "replicated0")) {
            Thread writer = Thread.ofPlatform().start(() -> {
                byte[] payload = new byte[1 << 20];
                try {
                    for (long handle = 0; c.sent.get() < limit; handle++) {
                        c.send(NbdBytes.request(0, Nbd.CMD_WRITE, handle, (handle % 64) << 20, 1 << 20));
                        c.send(payload);
                    }
                } catch (IOException e) {
                    // the test closed the socket
                }
            });
            long last = -1;
            long stalledSince = System.nanoTime();
            while (System.nanoTime() - stalledSince < 2_000_000_000L && writer.isAlive()) {
                Thread.sleep(100);
                long sent = c.sent.get();
                if (sent != last) {
                    last = sent;
                    stalledSince = System.nanoTime();
                }
            }
            long held = nbd.export.bytesInFlight();
            assertTrue(writer.isAlive() && c.sent.get() < limit, "the server kept reading (" + c.sent.get()
                    + " bytes) from a client while its store was stuck");
            assertTrue(held <= Transmission.MAX_IN_FLIGHT_BYTES + BlockSizes.MAX_PAYLOAD, "the server holds " + held
                    + " bytes of payload for a stuck store");
            gate.countDown();
            c.socket.close();
            writer.join();
        }
        othersAreStillServed();
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(20);
        }
    }
}
