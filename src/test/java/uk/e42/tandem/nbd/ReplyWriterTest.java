package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReplyWriterTest {
    static final int THREADS = 8;
    static final int REPLIES = 2000;

    /** A reply: its length, then that many copies of the sender's number. */
    static ByteBuffer reply(int sender, int length) {
        ByteBuffer b = ByteBuffer.allocate(4 + length).putInt(length);
        for (int i = 0; i < length; i++) {
            b.put((byte) sender);
        }
        return b.flip();
    }

    /** Replies from many threads at once arrive whole, every one of them, and every sent action runs. */
    @Test
    void repliesFromManyThreadsLeaveWholeAndAllActionsRun() throws Exception {
        sendFromManyThreads(THREADS, REPLIES, 5000);
    }

    /**
     * A thread that saw the queue non-empty may get the lock only after another thread wrote it all. Finding
     * nothing to write it must go on: it once threw on the empty batch, and the replies queued meanwhile by
     * threads that counted on it stayed unwritten (fio at queue depth 32 waited for them forever).
     */
    @Test
    void findingTheQueueAlreadyWrittenIsNoError() throws Exception {
        Pipe pipe = Pipe.open();
        ReplyWriter writer = new ReplyWriter(pipe.sink(), "test");
        writer.writeQueued();
        CountDownLatch sent = new CountDownLatch(1);
        writer.send(reply(7, 3), sent::countDown);
        assertEquals(true, sent.await(5, TimeUnit.SECONDS));
        ByteBuffer got = ByteBuffer.allocate(7);
        while (got.hasRemaining()) {
            pipe.source().read(got);
        }
        assertEquals(reply(7, 3), got.flip());
    }

    private static void sendFromManyThreads(int threads, int replies, int maxLength) throws Exception {
        Pipe pipe = Pipe.open();
        ReplyWriter writer = new ReplyWriter(pipe.sink(), "test");
        AtomicInteger sentActions = new AtomicInteger();
        Map<Integer, Integer> received = new HashMap<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (DataInputStream in = new DataInputStream(Channels.newInputStream(pipe.source()))) {
                for (int n = 0; n < threads * replies; n++) {
                    byte[] body = new byte[in.readInt()];
                    in.readFully(body);
                    for (byte b : body) {
                        assertEquals(body[0], b, "a reply was interleaved with another");
                    }
                    received.merge((int) body[0], 1, Integer::sum);
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        List<Thread> senders = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            int sender = t + 1;
            senders.add(Thread.ofPlatform().uncaughtExceptionHandler((thread, e) -> failures.add(e)).start(() -> {
                for (int i = 0; i < replies; i++) {
                    writer.send(reply(sender, 1 + (i * 37) % maxLength), sentActions::incrementAndGet);
                }
            }));
        }
        for (Thread t : senders) {
            t.join();
        }
        assertEquals(List.of(), failures, "a sender failed");
        reader.join(30_000);
        assertFalse(reader.isAlive(), "replies were left unwritten");
        assertEquals(threads * replies, sentActions.get());
        for (int t = 1; t <= threads; t++) {
            assertEquals(replies, received.get(t), "replies of sender " + t);
        }
    }

    /**
     * A reply's action may send another reply on the same thread (a request that waited for the finished one runs
     * inline when no worker takes it). That reply is written after the batch it was sent from, which stays whole:
     * a nested write once reused the batch's slots, dropped a reply queued by another thread meanwhile and never
     * ran that reply's action, so its request stayed in the window.
     */
    @Test
    void aReplySentFromAnActionWaitsForItsBatch() throws Exception {
        Pipe pipe = Pipe.open();
        ReplyWriter writer = new ReplyWriter(pipe.sink(), "test");
        List<Integer> actions = new CopyOnWriteArrayList<>();
        Runnable sendsTwoMore = () -> {
            actions.add(1);
            sendFromAnotherThread(writer, 5, actions);
            writer.send(reply(6, 4), () -> actions.add(6));
        };
        Runnable queuesABatch = () -> {
            actions.add(0);
            sendFromAnotherThread(writer, 1, actions, sendsTwoMore);
            sendFromAnotherThread(writer, 2, actions);
            sendFromAnotherThread(writer, 3, actions);
        };
        writer.send(reply(0, 4), queuesABatch);
        assertEquals(List.of(0, 1, 2, 3, 5, 6), actions);
        DataInputStream in = new DataInputStream(Channels.newInputStream(pipe.source()));
        List<Integer> order = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            order.add((int) body[0]);
        }
        assertEquals(List.of(0, 1, 2, 3, 5, 6), order);
    }

    private static void sendFromAnotherThread(ReplyWriter writer, int sender, List<Integer> actions) {
        sendFromAnotherThread(writer, sender, actions, () -> actions.add(sender));
    }

    /** Queued behind the batch this thread writes: the other thread finds the writer busy and leaves it queued. */
    private static void sendFromAnotherThread(ReplyWriter writer, int sender, List<Integer> actions, Runnable sent) {
        try {
            Thread.ofPlatform().start(() -> writer.send(reply(sender, 4), sent)).join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Once the client is gone the channel is closed and later replies are dropped, but their actions still run. */
    @Test
    void afterAFailedWriteTheChannelClosesAndActionsStillRun() throws Exception {
        Pipe pipe = Pipe.open();
        ReplyWriter writer = new ReplyWriter(pipe.sink(), "test");
        pipe.source().close();
        CountDownLatch actions = new CountDownLatch(2);
        writer.send(reply(1, 10), actions::countDown);
        writer.send(reply(2, 10), actions::countDown);
        assertEquals(true, actions.await(5, TimeUnit.SECONDS));
        assertFalse(pipe.sink().isOpen());
    }

    /**
     * A write that fails with an Error (no direct memory for NIO's copy of a heap reply) ends the connection like
     * a failed write: the sender sees nothing thrown, and every reply's action runs, or its request would stay in
     * the window for good.
     */
    @Test
    void anErrorMidWriteClosesTheChannelAndEveryActionStillRuns() throws Exception {
        AtomicInteger writes = new AtomicInteger();
        GatheringByteChannel outOfDirectMemory = new GatheringByteChannel() {
            private boolean open = true;

            @Override
            public long write(ByteBuffer[] srcs, int offset, int length) {
                writes.incrementAndGet();
                throw new OutOfMemoryError("Cannot reserve 20 bytes of direct buffer memory (injected)");
            }

            @Override
            public long write(ByteBuffer[] srcs) {
                return write(srcs, 0, srcs.length);
            }

            @Override
            public int write(ByteBuffer src) {
                return (int) write(new ByteBuffer[] {src});
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
        ReplyWriter writer = new ReplyWriter(outOfDirectMemory, "test");
        AtomicInteger actions = new AtomicInteger();
        writer.send(reply(1, 10), actions::incrementAndGet);
        writer.send(reply(2, 10), actions::incrementAndGet);
        assertEquals(2, actions.get());
        assertFalse(outOfDirectMemory.isOpen());
        assertEquals(1, writes.get(), "the reply after the failure was dropped, not written");
    }
}
