package uk.e42.tandem.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.GatheringByteChannel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Writes one connection's replies from whichever of its threads has one, each reply whole. A thread
 * that finds another writing leaves its reply queued for that one instead of waiting for the socket:
 * with many requests in flight the replies leave in batches (one gathering write), and no thread
 * parks on the lock. A reply's {@code sent} action runs once its bytes left, or once the socket failed
 * (then the channel is closed, which also ends the connection's reading).
 */
final class ReplyWriter {
    private static final Logger LOG = Logger.getLogger(ReplyWriter.class);
    /** Replies per gathering write; well below the kernel's IOV_MAX of 1024. */
    static final int BATCH = 64;

    private record Pending(ByteBuffer bytes, Runnable sent) {
    }

    private final GatheringByteChannel channel;
    private final String peer;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock writing = new ReentrantLock();
    /**
     * The batch being written and its byte buffers, allocated once: taking replies off the queue allocates
     * nothing, so a reply taken is always written or failed and its action run. Guarded by {@code writing}.
     */
    private final Pending[] batch = new Pending[BATCH];
    private final ByteBuffer[] parts = new ByteBuffer[BATCH];
    /** Set once a write failed; later replies are dropped (their actions still run). Guarded by {@code writing}. */
    private boolean failed;

    ReplyWriter(GatheringByteChannel channel, String peer) {
        this.channel = channel;
        this.peer = peer;
    }

    /** Queues {@code reply}; this thread writes it (with any others queued) unless another thread is writing. */
    void send(ByteBuffer reply, Runnable sent) {
        queue.add(new Pending(reply, sent));
        if (writing.isHeldByCurrentThread()) {
            // Sent from a reply's action (its request let a waiting one run inline): the batch being written is
            // still walked by the loop below this call, which writes this reply once it is through.
            return;
        }
        // Whoever holds the lock looks at the queue again after unlocking, so nothing queued is left behind.
        while (!queue.isEmpty() && writing.tryLock()) {
            try {
                writeQueued();
            } finally {
                writing.unlock();
            }
        }
    }

    /**
     * Writes what is queued, up to {@link #BATCH} replies; called with {@code writing} held. Throws nothing once
     * it took a reply off the queue, so {@link #send} throws only when the reply was not queued.
     */
    void writeQueued() {
        int taken = 0;
        for (Pending p; taken < BATCH && (p = queue.poll()) != null; taken++) {
            batch[taken] = p;
            parts[taken] = p.bytes();
        }
        // taken == 0: another thread took the lock between this one's look at the queue and its tryLock, and
        // wrote it all.
        try {
            if (taken > 0 && !failed) {
                write(taken);
            }
        } finally {
            for (int i = 0; i < taken; i++) {
                Pending p = batch[i];
                batch[i] = null;
                parts[i] = null;
                try {
                    p.sent().run();
                } catch (RuntimeException | Error e) {
                    // Each reply's action frees its request's room in the window: one failing must not strand the rest.
                    logAfterReply(e);
                }
            }
        }
    }

    private void write(int count) {
        try {
            while (parts[count - 1].hasRemaining()) {
                channel.write(parts, 0, count);
            }
        } catch (IOException | RuntimeException | Error e) {
            // An Error too (no direct memory for NIO's copy of a heap reply, say): a reply may be half sent, so
            // the stream is no longer NBD and the connection ends as after a failed write.
            failed = true;
            closeQuietly(channel);
            logNotSent("replies not sent", e);
        }
    }

    /*
     * These log unless logging fails too (no heap for the message, say), and allocate nothing before their try:
     * past the taking of a reply nothing may throw, or the replies taken with it would never run their actions and
     * send's caller would answer twice.
     */
    private void logAfterReply(Throwable e) {
        try {
            LOG.errorf(e, "NBD client %s: after a reply", peer);
        } catch (RuntimeException | Error again) {
            // nothing left to tell it with
        }
    }

    private void logNotSent(String what, Throwable e) {
        try {
            LOG.debugf("NBD client %s: %s: %s", peer, what, e);
        } catch (RuntimeException | Error again) {
            // nothing left to tell it with
        }
    }

    private void closeQuietly(Channel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            logNotSent("closing after a failed write", e);
        }
    }
}
