package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        Pipe pipe = Pipe.open();
        ReplyWriter writer = new ReplyWriter(pipe.sink(), "test");
        AtomicInteger sentActions = new AtomicInteger();
        Map<Integer, Integer> received = new HashMap<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (DataInputStream in = new DataInputStream(Channels.newInputStream(pipe.source()))) {
                for (int n = 0; n < THREADS * REPLIES; n++) {
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
        for (int t = 0; t < THREADS; t++) {
            int sender = t + 1;
            senders.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < REPLIES; i++) {
                    writer.send(reply(sender, 1 + (i * 37) % 5000), sentActions::incrementAndGet);
                }
            }));
        }
        for (Thread t : senders) {
            t.join();
        }
        reader.join(30_000);
        assertFalse(reader.isAlive());
        assertEquals(THREADS * REPLIES, sentActions.get());
        for (int t = 1; t <= THREADS; t++) {
            assertEquals(REPLIES, received.get(t), "replies of sender " + t);
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
}
