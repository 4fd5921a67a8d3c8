package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.e2e.LoopbackPair.awaitStatus;
import static uk.e42.tandem.e2e.LoopbackPair.disk;
import static uk.e42.tandem.e2e.LoopbackPair.injectFaults;
import static uk.e42.tandem.e2e.LoopbackPair.nbd;
import static uk.e42.tandem.e2e.LoopbackPair.sha256;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A failing backing disk on the Primary (DRBD's on-io-error; issue 9's disaster (e)), and on the
 * Secondary: the daemon's
 * fault injection makes a range of rosaria's disk fail with EIO. rosaria detaches and goes on as a
 * Diskless Primary: the failed request completes from paimon, NBD clients keep reading and writing
 * correct data, paimon holds every write. After the fault is cleared, {@code tandem attach} brings the
 * disk back and a bitmap resync makes both disks equal.
 */
@E2e(tools = {"nbdcopy", "qemu-io"})
class DisklessPrimaryIT {
    private static final long MIB = 1L << 20;
    private static final long FAILING = 4 * MIB;

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void failingDiskDetachesThePrimaryWhichServesFromThePeerUntilAttachResyncs() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        Path marker = cluster.root().resolve("local-io-error.env");
        pair.editConfig("disk { c-plan-ahead 0;", "disk { on-io-error call-local-io-error; c-plan-ahead 0;");
        pair.editConfig("common {", "common {\n    handlers { local-io-error \"env | grep ^DRBD_ | sort > "
                + marker + ".tmp && mv " + marker + ".tmp " + marker + "\"; }");
        Path plan = LoopbackPair.faultInjection(rosaria);
        pair.synced();
        assertTrue(rosaria.logText().contains("*** FAULT INJECTION IS ENABLED"), "the daemon warns loudly");

        byte[] before = pair.write(rosaria, FAILING, (int) MIB, 1);

        // A write into the failing range: EIO on rosaria's disk, written on paimon: the client sees success.
        injectFaults(rosaria, plan, "replicated0 write-eio " + FAILING + " " + MIB + "\n");
        byte[] failedHere = pair.write(rosaria, FAILING, 64 << 10, 2);
        String diskless = awaitStatus(rosaria, s -> s.contains("disk:Diskless"));
        assertEquals("""
                replicated0 role:Primary
                  disk:Diskless
                  peer role:Secondary
                    replication:Established peer-disk:UpToDate

                """, diskless);
        awaitStatus(paimon, s -> s.contains("peer-disk:Diskless"));
        String log = rosaria.logText();
        assertTrue(log.contains("Local IO failed in write of sector " + (FAILING >>> 9) + "+65536. Detaching..."),
                log);
        assertTrue(log.contains("disk( UpToDate -> Failed )"), "DRBD's transition through Failed");
        assertTrue(log.contains("disk( Failed -> Diskless )"), "then Diskless");
        assertTrue(paimon.logText().contains("this node holds the only copy of the data"));
        awaitFile(marker);
        String env = Files.readString(marker);
        assertTrue(env.contains("DRBD_RESOURCE=replicated0\n") && env.contains("DRBD_PEER=paimon\n")
                && env.contains("DRBD_MINOR=0\n") && env.contains("DRBD_HANDLER=local-io-error\n"), env);
        assertTrue(rosaria.cli("events2", "--now").stdout().contains("disk:Diskless"), "events2 shows it");
        String ready = rosaria.health("ready").replaceAll("\\s", "");
        assertTrue(ready.startsWith("{\"status\":\"UP\"") && ready.contains("\"disk\":\"Diskless\""),
                "a Diskless Primary served by its UpToDate peer is ready and says it is Diskless:\n" + ready);

        // Diskless: writes go to paimon only, reads come from paimon; the whole device reads back as paimon has it.
        byte[] whileDiskless = pair.write(rosaria, 8 * MIB, (int) MIB, 3);
        assertArrayEquals(whileDiskless, pair.read(paimon, 8 * MIB, (int) MIB), "paimon has the write");
        assertArrayEquals(failedHere, pair.read(paimon, FAILING, 64 << 10), "paimon has the failed write");
        assertNotEquals(sha256(disk(rosaria), LoopbackPair.DATA_BYTES), sha256(disk(paimon), LoopbackPair.DATA_BYTES));
        Path copy = cluster.root().resolve("copy.img");
        Tools.run("nbdcopy", nbd(rosaria), copy.toString()).orFail();
        assertEquals(sha256(disk(paimon), LoopbackPair.DATA_BYTES), sha256(copy, LoopbackPair.DATA_BYTES),
                "reads through the Diskless Primary return paimon's data");
        byte[] expected = before.clone();
        System.arraycopy(failedHere, 0, expected, 0, failedHere.length);
        assertArrayEquals(expected, readThroughNbd(rosaria, FAILING, (int) MIB));

        // A Secondary serves no reads, Diskless Primary or not.
        assertNotEquals(0, Tools.run("qemu-io", "-f", "raw", "-c", "read 0 4096", nbd(paimon)).exitCode());

        // The disk is fixed: attach, a bitmap resync from paimon, equal disks.
        fixDiskAndAttach(pair, rosaria, plan);
        long resyncedKib = resyncedKib(rosaria.logText());
        assertTrue(resyncedKib > 0 && resyncedKib < 4096, "only the blocks written while Diskless move: "
                + resyncedKib + " KiB");
        byte[] afterAttach = pair.write(rosaria, 12 * MIB, 64 << 10, 4);
        pair.awaitEqualDisks();
        assertArrayEquals(afterAttach, pair.read(rosaria, 12 * MIB, 64 << 10));

        // A read error this time: the read is served from paimon, rosaria detaches again.
        injectFaults(rosaria, plan, "replicated0 read-eio " + (8 * MIB) + " " + MIB + "\n");
        assertArrayEquals(whileDiskless, readThroughNbd(rosaria, 8 * MIB, (int) MIB));
        awaitStatus(rosaria, s -> s.contains("disk:Diskless"));
        assertTrue(rosaria.logText().contains("Local IO failed in read of sector " + ((8 * MIB) >>> 9)));

        // No UpToDate data reachable: paimon leaves. Reads and writes fail; attach would expose stale data.
        paimon.cli("disconnect", "replicated0").orFail();
        awaitStatus(rosaria, s -> !s.contains("replication:Established"));
        assertNotEquals(0, Tools.run("qemu-io", "-f", "raw", "-c", "read 0 4096", nbd(rosaria)).exitCode());
        assertNotEquals(0, Tools.run("qemu-io", "-f", "raw", "-c", "write 0 4096", nbd(rosaria)).exitCode());
        assertTrue(rosaria.logText().contains("IO ERROR: neither local nor remote data"));
        String notReady = rosaria.health("ready");
        assertTrue(notReady.contains("Primary without access to UpToDate data (disk:Diskless"),
                "without its peer the Diskless Primary is not ready:\n" + notReady);
        injectFaults(rosaria, plan, "");
        Tools.Result attach = rosaria.cli("attach", "replicated0");
        assertNotEquals(0, attach.exitCode());
        assertTrue(attach.stderr().contains("Can only attach to the data we lost last"), attach.stderr());

        // paimon comes back: the Diskless Primary reconnects by itself, as DRBD's does, because paimon still
        // holds the data rosaria exposed (its ed_uuid); no sync handshake without a disk, it serves from paimon again.
        paimon.cli("connect", "replicated0").orFail();
        String back = awaitStatus(rosaria, s -> s.contains("replication:Established"));
        assertTrue(back.contains("disk:Diskless") && back.contains("peer-disk:UpToDate"), back);
        assertTrue(rosaria.logText().contains("no sync handshake: this node is Diskless"), rosaria.logText());
        assertArrayEquals(whileDiskless, readThroughNbd(rosaria, 8 * MIB, (int) MIB), "served by paimon again");
        byte[] reconnected = pair.write(rosaria, 16 * MIB, 64 << 10, 13);
        assertArrayEquals(reconnected, pair.read(paimon, 16 * MIB, 64 << 10));

        // Then the disk: attach, a bitmap resync from paimon, nothing lost.
        rosaria.cli("attach", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        pair.awaitEqualDisks();
        assertArrayEquals(whileDiskless, pair.read(rosaria, 8 * MIB, (int) MIB));
        assertArrayEquals(reconnected, pair.read(rosaria, 16 * MIB, 64 << 10));
        System.out.printf("diskless-primary: detached on a write error and on a read error, resynced %d KiB"
                + " after attach, reconnected Diskless, disks equal%n", resyncedKib);
    }

    /**
     * on-io-error pass_on (DRBD 8.4's man page: the disk goes Inconsistent, the failed block is marked
     * out of sync and the I/O is retried on the peer), then {@code tandem detach} and {@code attach} on
     * the Primary as an admin does it.
     */
    @Test
    void passOnKeepsTheDiskInconsistentAndDetachVerbWorksOnThePrimary() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        Path plan = syncedWithFailingDisk(pair, "pass_on", rosaria);
        byte[] written = pair.write(rosaria, FAILING, 64 << 10, 5);
        // Still attached, Inconsistent: the resync that follows cannot write the failing blocks either.
        awaitStatus(rosaria, s -> s.contains("  disk:Inconsistent") && s.contains("replication:Established"));
        assertTrue(rosaria.logText().contains("Local IO failed in write of sector " + (FAILING >>> 9) + "+65536."));
        assertArrayEquals(written, readThroughNbd(rosaria, FAILING, 64 << 10), "read from paimon");
        assertArrayEquals(written, pair.read(paimon, FAILING, 64 << 10));
        byte[] elsewhere = pair.write(rosaria, 10 * MIB, 64 << 10, 6);
        assertArrayEquals(elsewhere, pair.read(rosaria, 10 * MIB, 64 << 10), "healthy blocks are still written");

        // Healed: a reconnect resyncs the marked blocks.
        injectFaults(rosaria, plan, "");
        rosaria.cli("disconnect", "replicated0").orFail();
        rosaria.cli("connect", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        pair.awaitEqualDisks();

        // detach on a Primary: Diskless, served by paimon; refused where it would leave no UpToDate data.
        rosaria.cli("detach", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("disk:Diskless") && s.contains("peer-disk:UpToDate"));
        byte[] diskless = pair.write(rosaria, 14 * MIB, 64 << 10, 7);
        assertArrayEquals(diskless, readThroughNbd(rosaria, 14 * MIB, 64 << 10));
        rosaria.cli("attach", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        pair.awaitEqualDisks();
        paimon.cli("disconnect", "replicated0").orFail();
        awaitStatus(rosaria, s -> !s.contains("replication:Established"));
        Tools.Result refused = rosaria.cli("detach", "replicated0");
        assertEquals(11, refused.exitCode(), refused.stderr());
        assertTrue(refused.stderr().contains("(-2) Need access to UpToDate data"), refused.stderr());
    }

    /**
     * The same on-io-error on the Secondary (DRBD applies it on every node): paimon's disk fails a
     * replicated write, paimon runs its local-io-error handler and detaches while the connection stays;
     * rosaria sees {@code pdsk( ... -> Diskless )}, starts a new data generation and marks every
     * write from then on. paimon's {@code attach} after the fix resyncs exactly those blocks.
     */
    @Test
    void failingDiskOnTheSecondaryDetachesItAndThePrimaryMarksEveryWrite() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        Path marker = cluster.root().resolve("local-io-error.env");
        pair.editConfig("common {", "common {\n    handlers { local-io-error \"env | grep ^DRBD_ | sort > "
                + marker + ".tmp && mv " + marker + ".tmp " + marker + "\"; }");
        Path plan = syncedWithFailingDisk(pair, "call-local-io-error", paimon);
        byte[] failedThere = pair.write(rosaria, FAILING, 64 << 10, 11);
        awaitStatus(paimon, s -> s.contains("disk:Diskless") && s.contains("replication:Established"));
        String primary = awaitStatus(rosaria, s -> s.contains("peer-disk:Diskless"));
        assertTrue(primary.contains("  disk:UpToDate") && primary.contains("replication:Established"), primary);
        String log = paimon.logText();
        assertTrue(log.contains("Local IO failed in write of sector " + (FAILING >>> 9) + "+65536. Detaching..."),
                log);
        assertTrue(log.contains("disk( UpToDate -> Failed )") && log.contains("disk( Failed -> Diskless )"), log);
        awaitFile(marker);
        String env = Files.readString(marker);
        assertTrue(env.contains("DRBD_PEER=rosaria\n") && env.contains("DRBD_HANDLER=local-io-error\n"), env);
        // DRBD's peer sees the disk go through Failed or straight to Diskless, as the state packets come.
        assertTrue(Pattern.compile("pdsk\\( (UpToDate|Failed) -> Diskless \\)").matcher(rosaria.logText()).find(),
                rosaria.logText());
        assertTrue(rosaria.logText().contains("this node holds the only copy of the data"));
        assertArrayEquals(failedThere, pair.read(rosaria, FAILING, 64 << 10), "the client's write is on rosaria");

        // Every write from now on is marked for paimon: the failed one and this one, 1088 KiB in all. As in
        // DRBD, the Diskless peer is not sent the write (it would only answer NEG_ACK).
        long receivedBefore = receivedKib(paimon);
        pair.write(rosaria, 8 * MIB, (int) MIB, 12);
        String statistics = rosaria.cli("status", "--statistics", "replicated0").orFail().stdout();
        assertTrue(statistics.contains("out-of-sync:1088 "), statistics);
        assertEquals(receivedBefore, receivedKib(paimon), "the Diskless peer received none of the 1 MiB write");

        fixDiskAndAttach(pair, paimon, plan);
        assertEquals(1088, resyncedKib(paimon.logText()), "only the blocks paimon missed move");
        System.out.printf("failing-secondary: paimon detached on a write error, rosaria marked 1088 KiB,"
                + " resynced after attach, disks equal%n");
    }

    /**
     * A SyncTarget whose disk fails a resync write (on-io-error detach) stops the resync there, as DRBD's
     * "Resync aborted": it asks the peer for nothing more and never finishes the resync on the closed disk (it
     * once went on asking, counted every later reply as a failed block and then wrote the bitmap of the detached
     * disk). After the fix, attach resyncs and the disks end equal.
     */
    @Test
    void aSyncTargetWhoseDiskFailsAResyncWriteAbortsTheResyncAndDetaches() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        Path plan = syncedWithFailingDisk(pair, "detach", paimon);
        int syncsDone = paimon.logText().split("Resync done", -1).length;
        paimon.cli("invalidate", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("disk:Diskless") && s.contains("replication:Established"));
        awaitStatus(rosaria, s -> s.contains("peer-disk:Diskless") && s.contains("replication:Established"));
        long received = receivedKib(paimon);
        Thread.sleep(1500);
        assertEquals(received, receivedKib(paimon), "resync data arrived after the abort");
        String log = paimon.logText();
        assertTrue(log.contains("Resync aborted: the local disk failed"), log);
        assertEquals(syncsDone, log.split("Resync done", -1).length, "the aborted resync counted as done: " + log);
        // the SyncSource's side ends with it (it once stayed SyncSource, waiting for requests that never came)
        assertTrue(Pattern.compile("conn\\( SyncSource -> Connected \\) pdsk\\( Inconsistent -> (Failed|Diskless) \\)")
                .matcher(rosaria.logText()).find(), rosaria.logText());

        fixDiskAndAttach(pair, paimon, plan);
    }

    /**
     * A FLUSH on a Diskless Primary is durable only where the peer confirmed it (README "How replication
     * behaves"): while paimon confirms, the flush succeeds; when paimon dies with the barrier still on its
     * slow disk, the client gets an I/O error instead of a success nothing stands behind.
     */
    @Test
    void aFlushThePeerNeverConfirmedFailsOnADisklessPrimary() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        Path plan = LoopbackPair.faultInjection(paimon);
        pair.synced();
        rosaria.cli("detach", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("disk:Diskless") && s.contains("peer-disk:UpToDate"));
        Tools.run("qemu-io", "-f", "raw", "-c", "write -P 7 0 64k", "-c", "flush", nbd(rosaria)).orFail();

        injectFaults(paimon, plan, "replicated0 latency 20000\n");
        Process flush = new ProcessBuilder(Tools.path("qemu-io"), "-f", "raw", "-c", "flush", nbd(rosaria))
                .redirectErrorStream(true).start();
        // qemu-io connects and sends its FLUSH in well under this; paimon's flush then sleeps for 20 s.
        Thread.sleep(3000);
        assertTrue(flush.isAlive(), "the flush waits for paimon's barrier ack");
        paimon.kill9();
        assertTrue(flush.waitFor(60, TimeUnit.SECONDS), "the flush is answered");
        // qemu-io's flush command prints nothing of a failure; its exit status and the daemon's log tell.
        assertNotEquals(0, flush.exitValue(), new String(flush.getInputStream().readAllBytes()));
        assertTrue(rosaria.logText().contains("NBD_CMD_FLUSH offset 0 length 0 on export replicated0 failed with EIO:"
                + " java.io.IOException: replicated0: IO ERROR: the connection to the peer, which holds this Diskless"
                + " node's data, ended before the peer confirmed the flush"), rosaria.logText());
    }

    /** The {@code received:} KiB of the node's one connection in {@code status --statistics}. */
    private static long receivedKib(TandemNode node) {
        String statistics = node.cli("status", "--statistics", "replicated0").orFail().stdout();
        Matcher received = Pattern.compile(" received:(\\d+) ").matcher(statistics);
        assertTrue(received.find(), statistics);
        return Long.parseLong(received.group(1));
    }

    /** pass_on on the Secondary: paimon keeps its disk, goes Inconsistent and resyncs what failed once healed. */
    @Test
    void passOnOnTheSecondaryKeepsItsDiskAndResyncsTheFailedBlocks() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        Path plan = syncedWithFailingDisk(pair, "pass_on", paimon);
        byte[] written = pair.write(rosaria, FAILING, 64 << 10, 21);
        awaitStatus(paimon, s -> s.contains("  disk:Inconsistent") && s.contains("replication:"));
        assertTrue(paimon.logText().contains("Local IO failed in write of sector " + (FAILING >>> 9) + "+65536."),
                paimon.logText());
        assertTrue(!paimon.logText().contains("Detaching..."), "pass_on keeps the disk");
        assertArrayEquals(written, pair.read(rosaria, FAILING, 64 << 10));

        injectFaults(paimon, plan, "");
        paimon.cli("disconnect", "replicated0").orFail();
        paimon.cli("connect", "replicated0").orFail();
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        pair.awaitEqualDisks();
        assertArrayEquals(written, pair.read(paimon, FAILING, 64 << 10));
    }

    /**
     * The pair with {@code on-io-error policy}, synced; then {@code failing}'s disk fails writes to the
     * mebibyte at {@link #FAILING}. Returns the plan file (write "" to it to heal the disk).
     */
    private static Path syncedWithFailingDisk(LoopbackPair pair, String policy, TandemNode failing) throws Exception {
        pair.editConfig("disk { c-plan-ahead 0;", "disk { on-io-error " + policy + "; c-plan-ahead 0;");
        Path plan = LoopbackPair.faultInjection(failing);
        pair.synced();
        injectFaults(failing, plan, "replicated0 write-eio " + FAILING + " " + MIB + "\n");
        return plan;
    }

    /** The failing disk is fixed: {@code attach} on its node, a resync, both UpToDate, disks equal. */
    private static void fixDiskAndAttach(LoopbackPair pair, TandemNode fixed, Path plan) throws Exception {
        injectFaults(fixed, plan, "");
        fixed.cli("attach", "replicated0").orFail();
        for (TandemNode node : pair.nodes()) {
            awaitStatus(node, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        }
        pair.awaitEqualDisks();
    }

    private byte[] readThroughNbd(TandemNode node, long offset, int bytes) throws Exception {
        Path out = cluster.root().resolve("read-" + offset + ".img");
        Tools.run("nbdcopy", "--no-extents", nbd(node), out.toString()).orFail();
        byte[] all = Files.readAllBytes(out);
        byte[] part = new byte[bytes];
        System.arraycopy(all, (int) offset, part, 0, bytes);
        return part;
    }

    private static long resyncedKib(String log) {
        Matcher m = Pattern.compile("Began resync as SyncTarget \\(will sync (\\d+) KB").matcher(log);
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    private static void awaitFile(Path file) throws InterruptedException {
        for (int i = 0; i < 200 && !Files.exists(file); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(file), file + " was written by the handler");
    }
}
