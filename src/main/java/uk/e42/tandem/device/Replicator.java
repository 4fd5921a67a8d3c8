package uk.e42.tandem.device;

import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import uk.e42.tandem.peer.v1.AckKind;
import uk.e42.tandem.peer.v1.AckWanted;
import uk.e42.tandem.peer.v1.Barrier;
import uk.e42.tandem.peer.v1.BarrierAck;
import uk.e42.tandem.peer.v1.BlockAck;
import uk.e42.tandem.peer.v1.DataPacket;
import uk.e42.tandem.peer.v1.Trim;
import uk.e42.tandem.peer.v1.Write;
import uk.e42.tandem.peer.v1.WriteZeroes;

/**
 * The Primary's side of replication: application writes go to the peer in order, complete as the
 * protocol says (A: the link serialized them; B: the peer received them; C: the peer wrote them), and
 * stay in the transfer log until the peer acknowledged their epoch's barrier. Whatever is in the
 * transfer log when the connection ends may be missing on the peer, so it is marked out of sync.
 *
 * <p>A write's packet wraps the caller's buffer instead of copying it (a 1 MiB copy per write was most
 * of the Primary's garbage, and a humongous object for G1): the caller keeps the buffer untouched until
 * {@link Ticket#awaitBufferFree()} returned.
 */
final class Replicator {
    /**
     * What a caller waits for. {@code done}: true when the protocol's condition was met, false when the
     * link ended first. {@code serialized}: true when the link copied the packet into its own buffers,
     * false when it was dropped; either way the write's buffer is no longer read.
     */
    record Ticket(CompletableFuture<Boolean> done, CompletableFuture<Boolean> serialized) {
        /**
         * Blocks until the write's buffer is no longer read, whatever else happened (an ack, the end of the
         * connection, an interrupt): the buffer may be given back or overwritten then, not before.
         */
        void awaitBufferFree() {
            serialized.join();
        }
    }

    private record Range(long offset, long length) {
    }

    private final PacketSender sender;
    private final Executor executor;
    private final char protocol;
    private final OutOfSyncMarker outOfSync;
    private final Map<Long, CompletableFuture<Boolean>> awaitingAck = new ConcurrentHashMap<>();
    private final AtomicLong nextBlockId = new AtomicLong(1);
    private final AtomicInteger nextSeq = new AtomicInteger(1);
    private final PeerStatistics statistics;

    /**
     * Guards the transfer log, epoch by epoch. A packet joins it when the link took it, on whichever
     * thread handed it on (a writer's, or the executor's); a barrier closes its epoch at that same point,
     * so each epoch holds exactly the writes that went out before its barrier.
     */
    private final Object transferLog = new Object();
    private final ArrayDeque<List<Range>> closedEpochs = new ArrayDeque<>();
    private final ArrayDeque<Long> closedEpochNumbers = new ArrayDeque<>();
    private List<Range> currentEpoch = new ArrayList<>();
    /** Barriers queued but not yet taken by the link: the epoch after the last of them is still empty. */
    private int barriersQueued;
    private boolean ended;
    /** The highest barrier the peer acknowledged: an epoch closing at or below it is on the peer's disk already. */
    private long highestBarrierAcked;
    // Confined to the executor.
    /**
     * Barriers are counted in a long here and cut to the wire's 32 bits: the count never wraps within a
     * connection, so "at or below the highest acknowledged" stays true to the order they were sent in.
     */
    private long nextBarrier = 1;
    private final Map<Long, CompletableFuture<Boolean>> barrierWaiters = new ConcurrentHashMap<>();

    /** Marks a byte range out of sync in the bitmap. */
    interface OutOfSyncMarker {
        void mark(long offset, long length);
    }

    Replicator(PacketSender sender, Executor executor, char protocol, OutOfSyncMarker outOfSync,
            PeerStatistics statistics) {
        this.sender = sender;
        this.statistics = statistics;
        this.executor = executor;
        this.protocol = protocol;
        this.outOfSync = outOfSync;
    }

    Ticket write(long offset, ByteBuffer data) {
        long blockId = nextBlockId.getAndIncrement();
        int length = data.remaining();
        Write write = Write.newBuilder().setSector(offset >>> 9).setBlockId(blockId).setSeq(nextSeq.getAndIncrement())
                .setAck(ackWanted()).setData(UnsafeByteOperations.unsafeWrap(data)).build();
        statistics.sent(length);
        return submit(DataPacket.newBuilder().setWrite(write).build(), blockId, offset, length);
    }

    Ticket trim(long offset, long length) {
        long blockId = nextBlockId.getAndIncrement();
        Trim trim = Trim.newBuilder().setSector(offset >>> 9).setBlockId(blockId).setSeq(nextSeq.getAndIncrement())
                .setAck(ackWanted()).setSize((int) length).build();
        return submit(DataPacket.newBuilder().setTrim(trim).build(), blockId, offset, length);
    }

    Ticket writeZeroes(long offset, long length) {
        long blockId = nextBlockId.getAndIncrement();
        WriteZeroes zeroes = WriteZeroes.newBuilder().setSector(offset >>> 9).setBlockId(blockId)
                .setSeq(nextSeq.getAndIncrement()).setAck(ackWanted()).setSize((int) length).build();
        return submit(DataPacket.newBuilder().setWriteZeroes(zeroes).build(), blockId, offset, length);
    }

    private Ticket submit(DataPacket packet, long blockId, long offset, long length) {
        CompletableFuture<Boolean> serialized = new CompletableFuture<>();
        // Protocol A's condition: the packet left for the peer, i.e. the link serialized it.
        CompletableFuture<Boolean> done = protocol == 'A' ? serialized : new CompletableFuture<>();
        long handedIn = System.nanoTime();
        done.thenAccept(met -> {
            if (met) {
                statistics.acknowledged(System.nanoTime() - handedIn);
            }
        });
        if (protocol != 'A') {
            awaitingAck.put(blockId, done);
        }
        // A packet dropped before it was handed over is in no epoch that end() marks: it is marked here, when the
        // link drops it (the old session's end, before any next session's bitmap exchange), not later by the writer.
        serialized.thenAccept(sent -> {
            if (!sent) {
                outOfSync.mark(offset, length);
            }
        });
        boolean queued = sender.send(packet, () -> {
            boolean logged;
            synchronized (transferLog) {
                logged = !ended;
                if (logged) {
                    currentEpoch.add(new Range(offset, length));
                }
            }
            if (!logged) {
                // The connection ended (and end() marked the log) while this thread handed the packet on: the
                // write is in no epoch, and with protocol A nobody else would mark it.
                outOfSync.mark(offset, length);
            }
        }, serialized::complete);
        if (!queued) {
            awaitingAck.remove(blockId);
            done.complete(false);
            serialized.complete(false);
        }
        return new Ticket(done, serialized);
    }

    private AckWanted ackWanted() {
        return switch (protocol) {
            case 'B' -> AckWanted.ACK_RECEIVE;
            case 'C' -> AckWanted.ACK_WRITE;
            default -> AckWanted.ACK_NONE;
        };
    }

    /**
     * Closes the current epoch with a barrier. With protocols B and C the returned future completes when
     * the peer has flushed every write of it (true), or with false when the connection ended first (its
     * writes are then marked out of sync, and nothing is durable on the peer); with A at once, true (A
     * promises nothing about the peer's disk).
     */
    CompletableFuture<Boolean> barrier(boolean waitForPeer) {
        CompletableFuture<Boolean> flushed = new CompletableFuture<>();
        executor.execute(() -> {
            if (hasEnded()) {
                flushed.complete(false);
                return;
            }
            long number = closeEpoch();
            if (waitForPeer && protocol != 'A') {
                barrierWaiters.put(number, flushed);
            } else {
                flushed.complete(true);
            }
        });
        return flushed;
    }

    /** From the executor's tick: keeps the transfer log short while writes flow without flushes. */
    void closeEpochIfBusy() {
        boolean busy;
        synchronized (transferLog) {
            busy = !ended && barriersQueued == 0 && !currentEpoch.isEmpty();
        }
        if (busy) {
            closeEpoch();
        }
    }

    /** On the executor: queues the next barrier; its epoch closes when the link takes it. */
    private long closeEpoch() {
        long number = nextBarrier++;
        synchronized (transferLog) {
            barriersQueued++;
        }
        sender.sendNow(DataPacket.newBuilder().setBarrier(Barrier.newBuilder().setBarrierNr((int) number)).build(), () -> {
            boolean acknowledgedAlready;
            synchronized (transferLog) {
                barriersQueued--;
                acknowledgedAlready = number <= highestBarrierAcked;
                if (acknowledgedAlready) {
                    // The thread that handed the barrier on was overtaken by the peer's ack of it: the epoch's
                    // writes went out before the barrier, so they are on the peer's disk.
                    currentEpoch = new ArrayList<>();
                } else if (!ended) {
                    closedEpochs.add(currentEpoch);
                    closedEpochNumbers.add(number);
                    currentEpoch = new ArrayList<>();
                }
            }
            if (acknowledgedAlready) {
                executor.execute(() -> barrierAcknowledged(number));
            }
        });
        return number;
    }

    private boolean hasEnded() {
        synchronized (transferLog) {
            return ended;
        }
    }

    /**
     * From any thread: the control stream's transport thread completes the waiting writer directly
     * (a protocol C write otherwise waits for one more thread hop). Only the ack map is touched.
     */
    void onBlockAck(BlockAck ack) {
        CompletableFuture<Boolean> done = switch (ack.getKind()) {
            case RECV_ACK -> protocol == 'B' ? awaitingAck.remove(ack.getBlockId()) : null;
            case WRITE_ACK, NEG_ACK -> awaitingAck.remove(ack.getBlockId());
            default -> null;
        };
        if (done != null) {
            done.complete(ack.getKind() != AckKind.NEG_ACK);
        } else if (ack.getKind() == AckKind.NEG_ACK) {
            // Already completed (protocol A on sending, B on RECV_ACK): the peer still failed to write it.
            outOfSync.mark(ack.getSector() << 9, ack.getSize());
        }
    }

    /** On the executor: the peer has every write of epochs up to this one on stable storage. */
    void onBarrierAck(BarrierAck ack) {
        // The 32 bits name the newest barrier sent with those bits: one sent already, whatever a peer says.
        long lastSent = nextBarrier - 1;
        long number = lastSent - Integer.toUnsignedLong((int) lastSent - ack.getBarrierNr());
        List<Long> acknowledged = new ArrayList<>();
        synchronized (transferLog) {
            highestBarrierAcked = Math.max(highestBarrierAcked, number);
            while (!closedEpochNumbers.isEmpty() && closedEpochNumbers.peek() <= number) {
                acknowledged.add(closedEpochNumbers.poll());
                closedEpochs.poll();
            }
        }
        acknowledged.forEach(this::barrierAcknowledged);
    }

    /** On the executor: a flush waiting for this barrier is done. */
    private void barrierAcknowledged(long number) {
        CompletableFuture<Boolean> waiter = barrierWaiters.remove(number);
        if (waiter != null) {
            waiter.complete(true);
        }
    }

    int epochsInFlight() {
        synchronized (transferLog) {
            return closedEpochNumbers.size() + (currentEpoch.isEmpty() ? 0 : 1);
        }
    }

    int pendingAcks() {
        return awaitingAck.size();
    }

    /** On the executor, when the connection ended: everything unconfirmed becomes out of sync. */
    void end() {
        synchronized (transferLog) {
            ended = true;
            closedEpochs.forEach(epoch -> epoch.forEach(r -> outOfSync.mark(r.offset(), r.length())));
            currentEpoch.forEach(r -> outOfSync.mark(r.offset(), r.length()));
            closedEpochs.clear();
            closedEpochNumbers.clear();
            currentEpoch = new ArrayList<>();
        }
        awaitingAck.values().forEach(f -> f.complete(false));
        awaitingAck.clear();
        barrierWaiters.values().forEach(f -> f.complete(false));
        barrierWaiters.clear();
    }

    /** The acks that complete a write and may be handled on the thread they arrive on. */
    static boolean isTakenOnArrival(AckKind kind) {
        return kind == AckKind.RECV_ACK || kind == AckKind.WRITE_ACK;
    }
}
