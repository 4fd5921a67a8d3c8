package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The seed (issue 9), literally, on two network-namespace hosts rosaria and paimon, once through
 * the seed's OpenVPN tunnel and once over Tandem's own TLS on the cable: the seed's drbd.d files
 * with its LVM paths ({@code /dev/local/...} on loop devices), the initial sync with the seed's
 * status, ext4 on the Primary through nbdfuse and losetup, the reboot without data resync, the
 * planned switch-over, then the seed's unwritten "Disaster Testing": (a) the cable cut under a
 * write load, (b) split brain, (c) the Primary killed under protocol C load, (d) the same under
 * protocol A, (e) a failing backing disk on the Primary (on-io-error detach, the Diskless Primary).
 * Each scenario prints a summary line; the suite ends with a table of them.
 */
@E2e(root = true, netns = true, tun = true, loop = true, fuse = true, tools = {"ip", "openvpn", "qemu-io", "nbdfuse",
        "fusermount3", "losetup", "mkfs.ext4", "e2fsck", "unshare", "nsenter", "sha256sum", "nbdcopy", "setsid",
        "pkill", "ps"})
class SeedNetnsIT {
    static final long MIB = 1L << 20;
    /** ext4 takes the first half of the volume; the raw-export loads write only in the second half. */
    static final long FS_BYTES = 32 * MIB;
    static final int CHUNK = 64 << 10;
    /** The seed's {@code sndbuf-size 10M}: what protocol A may have acknowledged but not yet delivered. */
    static final long SNDBUF = 10 * MIB;

    static final DisasterReport REPORT = new DisasterReport();

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @AfterAll
    static void printTable() {
        System.out.println(REPORT.table());
    }

    @ParameterizedTest(name = "over {0}")
    @EnumSource(SeedHosts.Transport.class)
    void theSeedAndItsDisasters(SeedHosts.Transport transport) throws Exception {
        try (SeedHosts seed = new SeedHosts(cluster, transport)) {
            // rosaria's backing disk can be made to fail (disaster (e)); healthy until the plan says otherwise.
            Path faults = LoopbackPair.faultInjection(seed.rosaria);
            initialSync(seed);
            Map<String, String> tree = filesystemOnThePrimary(seed);
            reboot(seed, tree);
            switchOver(seed, tree);
            cableCutUnderLoad(seed);
            splitBrain(seed);
            seed.protocol('C');
            seed.reboot();
            failingDiskOnThePrimary(seed, faults, tree);
            primaryCrashUnderLoad(seed, 'C', tree);
            seed.protocol('A');
            seed.reboot();
            primaryCrashUnderLoad(seed, 'A', tree);
        }
    }

    /** DESIGN steps 1-3: create-md and up on both, the seed's statuses, primary --overwrite-data-of-peer. */
    private void initialSync(SeedHosts seed) {
        for (TandemNode node : seed.nodes()) {
            node.cli("create-md", "--force", "replicated0").orFail();
            node.start().awaitLive(Duration.ofSeconds(60));
        }
        seed.rosaria.cli("up", "replicated0").orFail();
        seed.paimon.cli("up", "replicated0").orFail();
        String fresh = """
                replicated0 role:Secondary
                  disk:Inconsistent
                  peer role:Secondary
                    replication:Established peer-disk:Inconsistent

                """;
        LoopbackPair.awaitStatus(seed.rosaria, fresh::equals);
        LoopbackPair.awaitStatus(seed.paimon, fresh::equals);
        seed.rosaria.cli("--", "--overwrite-data-of-peer", "primary", "replicated0").orFail();
        assertEquals("""
                replicated0 role:Primary
                  disk:UpToDate
                  peer role:Secondary
                    replication:Established peer-disk:UpToDate

                """, LoopbackPair.awaitStatus(seed.rosaria, s -> s.contains("peer-disk:UpToDate")));
        assertEquals("""
                replicated0 role:Secondary
                  disk:UpToDate
                  peer role:Primary
                    replication:Established peer-disk:UpToDate

                """, LoopbackPair.awaitStatus(seed.paimon, s -> s.contains("  disk:UpToDate")));
        REPORT.add(row(seed, "initial sync", 0, SeedHosts.resyncedSince(seed.rosaria, 0), 0, 0,
                "full sync of the volume"));
    }

    /** DESIGN step 4: mkfs.ext4 and mount on rosaria, a tree of files with their checksums. */
    private Map<String, String> filesystemOnThePrimary(SeedHosts seed) throws Exception {
        Map<String, String> tree;
        try (NbdFilesystem fs = seed.attach(seed.rosaria).mkfs(FS_BYTES)) {
            tree = FileTree.write(fs.mount(), 60, 9);
            assertEquals(tree, FileTree.read(fs.mountPoint()));
            fs.umount();
        }
        return tree;
    }

    /** DESIGN step 5: both daemons stop and start; no data resync; the files are intact after the remount. */
    private void reboot(SeedHosts seed, Map<String, String> tree) throws Exception {
        int rosariaMark = seed.rosaria.logText().length();
        int paimonMark = seed.paimon.logText().length();
        seed.reboot();
        long resynced = SeedHosts.resyncedSince(seed.rosaria, rosariaMark)
                + SeedHosts.resyncedSince(seed.paimon, paimonMark);
        assertEquals(0, resynced, "no data resync after the reboot");
        // rosaria was promoted before paimon came up (a new generation): DRBD's rule 70, an empty bitmap.
        assertTrue(seed.rosaria.logText().substring(rosariaMark)
                .contains("Began resync as SyncSource (will sync 0 KB [0 bits set])"), "no block to resync");
        assertTreeOn(seed, seed.rosaria, tree);
        REPORT.add(row(seed, "reboot", 0, resynced, tree.size(), 0, "files checked after the remount"));
    }

    /** DESIGN step 6: umount, secondary on rosaria, primary on paimon, mount: the files are there. */
    private void switchOver(SeedHosts seed, Map<String, String> tree) throws Exception {
        int mark = seed.rosaria.logText().length();
        demote(seed.rosaria);
        seed.paimon.cli("primary", "replicated0").orFail();
        assertTreeOn(seed, seed.paimon, tree);
        demote(seed.paimon);
        seed.rosaria.cli("primary", "replicated0").orFail();
        REPORT.add(row(seed, "switch-over", 0, SeedHosts.resyncedSince(seed.rosaria, mark), tree.size(), 0,
                "files checked on paimon as Primary"));
    }

    /**
     * Disaster (a): the cable is cut while rosaria writes; rosaria keeps serving; the cable comes
     * back and the resync moves only the blocks written meanwhile: at least every block in which
     * the disks differed, never more than the load wrote.
     */
    private void cableCutUnderLoad(SeedHosts seed) throws Exception {
        SeedHosts.awaitTransferLogEmpty(seed.rosaria);
        int mark = seed.rosaria.logText().length();
        AckedWrites load = AckedWrites.start(seed.rosariaHost, seed.rosaria, cluster.root().resolve("load-a.out"),
                FS_BYTES, CHUNK, 128, 1, 20);
        load.awaitAcknowledged(16);
        seed.hosts.cut(seed.cable);
        int beforeCut = load.acknowledged();
        assertTrue(beforeCut < load.count, "the cable is cut during the load (" + beforeCut + " written before)");
        LoopbackPair.awaitStatus(seed.rosaria, s -> s.contains("peer connection:Connecting"));
        assertEquals(load.count, load.awaitEnd(), "rosaria serves every write while the cable is out");
        long differing = differingBytes(seed.data(seed.rosaria), seed.data(seed.paimon));
        seed.hosts.restore(seed.cable);
        LoopbackPair.awaitStatus(seed.rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        long resynced = SeedHosts.resyncedSince(seed.rosaria, mark);
        assertTrue(differing > 0 && resynced >= differing, "the resync (" + resynced
                + " bytes) covers every block the disks differed in (" + differing + " bytes)");
        assertTrue(resynced <= load.bytes(load.count), "the resync (" + resynced
                + " bytes) moves no more than the load wrote (" + load.bytes(load.count) + " bytes)");
        seed.awaitEqualDisks();
        List<Integer> missing = load.missing(seed.data(seed.paimon), load.count);
        assertEquals(List.of(), missing, "every acknowledged write reached paimon");
        REPORT.add(row(seed, "(a) cable cut under load", load.bytes(load.count), resynced, load.count, missing.size(),
                differing + " bytes differed before the resync"));
    }

    /**
     * Disaster (b): the cable is cut, paimon is promoted and both write. With the seed's policies
     * two Primaries meet after-sb-2pri disconnect: StandAlone on both. DRBD's manual recovery:
     * the victim (paimon) demotes and connects with --discard-my-data, the survivor connects; the
     * victim's writes are gone, the survivor's are on both.
     */
    private void splitBrain(SeedHosts seed) throws Exception {
        SeedHosts.awaitTransferLogEmpty(seed.rosaria);
        int rosariaMark = seed.rosaria.logText().length();
        int paimonMark = seed.paimon.logText().length();
        seed.hosts.cut(seed.cable);
        for (TandemNode node : seed.nodes()) {
            LoopbackPair.awaitStatus(node, s -> s.contains("peer connection:Connecting"));
        }
        // UpToDate and alone (fencing dont-care): DRBD promotes without --force.
        seed.paimon.cli("primary", "replicated0").orFail();
        AckedWrites survivor = AckedWrites.start(seed.rosariaHost, seed.rosaria, cluster.root().resolve("sb-r.out"),
                FS_BYTES + 8 * MIB, CHUNK, 16, 2, 0);
        AckedWrites victim = AckedWrites.start(seed.paimonHost, seed.paimon, cluster.root().resolve("sb-p.out"),
                FS_BYTES + 12 * MIB, CHUNK, 16, 3, 0);
        assertEquals(survivor.count, survivor.awaitEnd());
        assertEquals(victim.count, victim.awaitEnd());
        seed.hosts.restore(seed.cable);
        for (TandemNode node : seed.nodes()) {
            assertEquals("""
                    replicated0 role:Primary
                      disk:UpToDate
                      peer connection:StandAlone

                    """, LoopbackPair.awaitStatus(node, s -> s.contains("peer connection:StandAlone")), node.name());
        }
        assertTrue(seed.rosaria.logText().substring(rosariaMark)
                .contains("Split-Brain detected but unresolved, dropping connection!"), "rosaria logs the split brain");
        assertTrue(seed.paimon.logText().substring(paimonMark)
                .contains("Split-Brain detected but unresolved, dropping connection!"), "paimon logs the split brain");

        seed.paimon.cli("secondary", "replicated0").orFail();
        seed.paimon.cli("connect", "--discard-my-data", "replicated0").orFail();
        seed.rosaria.cli("connect", "replicated0").orFail();
        LoopbackPair.awaitStatus(seed.rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        // With one Primary left, the seed's after-sb-1pri discard-secondary decides before the flag is looked at, as in DRBD.
        assertTrue(seed.paimon.logText().substring(paimonMark)
                .contains("Split-Brain detected, 1 primaries, automatically solved. Sync from peer node"),
                "paimon is the victim");
        long resynced = SeedHosts.resyncedSince(seed.rosaria, rosariaMark);
        assertEquals(survivor.bytes(survivor.count) + victim.bytes(victim.count), resynced,
                "the resync moves what either side changed");
        seed.awaitEqualDisks();
        List<Integer> lost = survivor.missing(seed.data(seed.paimon), survivor.count);
        assertEquals(List.of(), lost, "the survivor's writes are on paimon");
        assertEquals(victim.count, victim.missing(seed.data(seed.paimon), victim.count).size(),
                "the victim's writes are discarded");
        REPORT.add(row(seed, "(b) split brain, manual recovery",
                survivor.bytes(survivor.count) + victim.bytes(victim.count), resynced, survivor.count, lost.size(),
                "victim's " + victim.bytes(victim.count) + " bytes discarded by design"));
    }

    /**
     * Disasters (c) and (d): rosaria's daemon is SIGKILLed while it takes FUA writes on the raw
     * export and fsynced files on ext4; paimon is promoted and mounts the filesystem (its journal
     * replays); e2fsck finds it clean. Under protocol C every acknowledged write and every synced
     * file is on paimon. Under protocol A (README, "How replication behaves") a write completes once
     * it is handed to the link, so what may be lost is a tail of the acknowledged writes that was
     * still in the send buffer (at most sndbuf-size) and never reached paimon; nothing before it
     * (paimon holds a prefix of the writes, in order) and nothing written before the load.
     */
    private void primaryCrashUnderLoad(SeedHosts seed, char protocol, Map<String, String> tree) throws Exception {
        int paimonMark = seed.paimon.logText().length();
        // The protocol letter as the fill salt: (d) rewrites the range of (c) with other bytes.
        int salt = protocol;
        AckedWrites raw;
        Map<String, String> synced;
        try (NbdFilesystem fs = seed.attach(seed.rosaria)) {
            FileTree.FsyncedWriter files = new FileTree.FsyncedWriter(fs.mount(), "load-" + protocol,
                    cluster.root().resolve("files-" + protocol + ".out"));
            raw = AckedWrites.start(seed.rosariaHost, seed.rosaria, cluster.root().resolve("crash-" + protocol + ".out"),
                    FS_BYTES + 16 * MIB, CHUNK, 256, salt, 0);
            raw.awaitAcknowledged(32);
            files.awaitSynced(10);
            seed.rosaria.kill9();
            raw.awaitEnd();
            files.stop();
            synced = files.synced();
        }
        int acknowledged = raw.acknowledged();
        assertTrue(acknowledged < raw.count, "rosaria died in the middle of the writes (" + acknowledged + " of "
                + raw.count + " acknowledged)");

        LoopbackPair.awaitStatus(seed.paimon, s -> s.contains("peer connection:Connecting"));
        seed.paimon.cli("primary", "replicated0").orFail();
        List<Integer> missing = raw.missing(seed.data(seed.paimon), acknowledged);
        Map<String, String> onPaimon;
        try (NbdFilesystem fs = seed.attach(seed.paimon)) {
            onPaimon = FileTree.read(fs.mount());
            fs.umount();
            Tools.Result fsck = fs.fsck();
            assertEquals(0, fsck.exitCode(), "e2fsck -f -n finds the filesystem clean on paimon:\n" + fsck.stdout()
                    + fsck.stderr());
        }
        for (var file : tree.entrySet()) {
            assertEquals(file.getValue(), onPaimon.get(file.getKey()), "the tree written before the load: "
                    + file.getKey());
        }
        int lostFiles = 0;
        for (var file : synced.entrySet()) {
            String there = onPaimon.get(file.getKey());
            if (there == null) {
                lostFiles++;
            } else {
                assertEquals(file.getValue(), there, "a synced file on paimon is whole: " + file.getKey());
            }
        }
        if (protocol == 'C') {
            assertEquals(List.of(), missing, "every acknowledged (FUA) write is on paimon");
            assertEquals(0, lostFiles, "every fsynced file is on paimon");
        } else {
            int firstMissing = missing.isEmpty() ? acknowledged : missing.get(0);
            assertEquals(acknowledged - firstMissing, missing.size(),
                    "paimon lost only a tail of the acknowledged writes, no hole before it: " + missing);
            assertTrue(raw.bytes(missing.size()) <= SNDBUF, "what protocol A lost (" + raw.bytes(missing.size())
                    + " bytes) fits in sndbuf-size");
        }

        seed.rosaria.start().awaitLive(Duration.ofSeconds(60));
        seed.rosaria.cli("up", "replicated0").orFail();
        LoopbackPair.awaitStatus(seed.rosaria, s -> s.equals("""
                replicated0 role:Secondary
                  disk:UpToDate
                  peer role:Primary
                    replication:Established peer-disk:UpToDate

                """));
        long resynced = SeedHosts.resyncedSince(seed.paimon, paimonMark);
        demote(seed.paimon);
        seed.rosaria.cli("primary", "replicated0").orFail();
        seed.awaitEqualDisks();
        REPORT.add(row(seed, "(" + (protocol == 'C' ? 'c' : 'd') + ") Primary killed, protocol " + protocol,
                raw.bytes(acknowledged), resynced, acknowledged + synced.size(), missing.size() + lostFiles,
                synced.size() + " fsynced files checked, " + lostFiles + " lost; e2fsck clean"));
    }

    /**
     * Disaster (e): rosaria's backing disk fails (the daemon's fault injection, docs/fault-injection.md:
     * EIO for writes to 1 MiB of the raw-export range) while it takes FUA writes on the raw export and
     * fsynced files on ext4. The seed sets no on-io-error, so DRBD's default applies: detach. rosaria
     * goes on as a Diskless Primary: every write is acknowledged (stored on paimon only) and reads
     * through its export come from paimon. Then the disk is "replaced" (the plan healed), {@code attach}
     * and a bitmap resync of what was written meanwhile make the disks equal.
     */
    private void failingDiskOnThePrimary(SeedHosts seed, Path faults, Map<String, String> tree) throws Exception {
        SeedHosts.awaitTransferLogEmpty(seed.rosaria);
        int rosariaMark = seed.rosaria.logText().length();
        int paimonMark = seed.paimon.logText().length();
        int firstFailingChunk = 64;
        long failing = FS_BYTES + (long) firstFailingChunk * CHUNK;
        AckedWrites raw;
        Map<String, String> synced;
        int syncedBeforeDiskless;
        try (NbdFilesystem fs = seed.attach(seed.rosaria)) {
            FileTree.FsyncedWriter files = new FileTree.FsyncedWriter(fs.mount(), "load-e",
                    cluster.root().resolve("files-e.out"));
            raw = AckedWrites.start(seed.rosariaHost, seed.rosaria, cluster.root().resolve("eio.out"), FS_BYTES,
                    CHUNK, 128, 5, 20);
            raw.awaitAcknowledged(16);
            LoopbackPair.injectFaults(seed.rosaria, faults, "replicated0 write-eio " + failing + " " + MIB + "\n");
            int beforeFault = raw.acknowledged();
            assertTrue(beforeFault < firstFailingChunk, "the disk fails before the load reaches the failing range ("
                    + beforeFault + " written before)");
            assertEquals(raw.count, raw.awaitEnd(), "every write is acknowledged, the one that failed on the disk too");
            assertEquals("""
                    replicated0 role:Primary
                      disk:Diskless
                      peer role:Secondary
                        replication:Established peer-disk:UpToDate

                    """, LoopbackPair.awaitStatus(seed.rosaria, s -> s.contains("disk:Diskless")));
            LoopbackPair.awaitStatus(seed.paimon, s -> s.contains("peer-disk:Diskless"));
            syncedBeforeDiskless = files.synced().size();
            files.awaitSynced(syncedBeforeDiskless + 10);
            assertEquals("", files.stop(), "the file writer's processes are gone before umount");
            synced = files.synced();
            fs.umount();
            Tools.Result fsck = fs.fsck();
            assertEquals(0, fsck.exitCode(), "e2fsck -f -n, reading from paimon through rosaria, finds the "
                    + "filesystem clean:\n" + fsck.stdout() + fsck.stderr());
            Map<String, String> read = FileTree.read(fs.mount());
            for (var file : tree.entrySet()) {
                assertEquals(file.getValue(), read.get(file.getKey()), "the tree written before: " + file.getKey());
            }
            for (var file : synced.entrySet()) {
                assertEquals(file.getValue(), read.get(file.getKey()), "a file synced around the failure: "
                        + file.getKey());
            }
            fs.umount();
        }
        String log = seed.rosaria.logText().substring(rosariaMark);
        assertTrue(log.contains("Local IO failed in write of sector " + (failing >>> 9) + "+" + CHUNK
                + ". Detaching..."), "rosaria detaches on the failed write:\n" + log);
        assertTrue(log.contains("disk( Failed -> Diskless )"), "DRBD's transition through Failed to Diskless");

        // Reads through rosaria's export: paimon's data, which rosaria's own disk no longer has.
        Path copy = cluster.root().resolve("diskless-read.img");
        seed.hosts.exec(seed.rosariaHost, "nbdcopy", "--no-extents", LoopbackPair.nbd(seed.rosaria),
                copy.toString());
        List<Integer> missing = raw.missing(copy, raw.count);
        assertEquals(List.of(), missing, "every acknowledged write reads back through the Diskless Primary");
        assertEquals(List.of(), raw.missing(seed.data(seed.paimon), raw.count),
                "every acknowledged write is on paimon");
        assertEquals(LoopbackPair.sha256(seed.data(seed.paimon), SeedHosts.DATA_BYTES),
                LoopbackPair.sha256(copy, SeedHosts.DATA_BYTES), "rosaria's export reads as paimon's disk");
        assertFalse(raw.isOn(seed.data(seed.rosaria), firstFailingChunk),
                "the failed write is not on rosaria's disk");

        // The disk is replaced: attach, a bitmap resync from paimon of what was written while Diskless.
        LoopbackPair.injectFaults(seed.rosaria, faults, "");
        seed.rosaria.cli("attach", "replicated0").orFail();
        LoopbackPair.awaitStatus(seed.rosaria, s -> s.equals("""
                replicated0 role:Primary
                  disk:UpToDate
                  peer role:Secondary
                    replication:Established peer-disk:UpToDate

                """));
        seed.awaitEqualDisks();
        long resynced = SeedHosts.resyncedSince(seed.paimon, paimonMark);
        long whileDiskless = raw.bytes(raw.count - firstFailingChunk);
        assertTrue(resynced >= whileDiskless && resynced < SeedHosts.DATA_BYTES, "a bitmap resync (" + resynced
                + " bytes) of at least the raw writes made while Diskless (" + whileDiskless
                + " bytes), not a full one");
        REPORT.add(row(seed, "(e) failing disk on the Primary", raw.bytes(raw.count), resynced,
                raw.count + synced.size(), missing.size(), "detached on EIO, Diskless Primary served from paimon; "
                        + (synced.size() - syncedBeforeDiskless) + " files fsynced while Diskless; e2fsck clean"));
    }

    /** The tree is on {@code node} (Primary): mount, compare every checksum, umount. */
    private static void assertTreeOn(SeedHosts seed, TandemNode node, Map<String, String> tree) throws Exception {
        try (NbdFilesystem fs = seed.attach(node)) {
            assertEquals(tree, FileTree.read(fs.mount()), "the files on " + node.name());
            fs.umount();
        }
    }

    /**
     * {@code secondary}, which DRBD refuses while the device is open: the NBD client that just
     * disconnected may still be counted for a moment, so a refusal is retried briefly.
     */
    private static void demote(TandemNode node) throws InterruptedException {
        Tools.Result result = node.cli("secondary", "replicated0");
        for (int attempt = 0; attempt < 40 && result.exitCode() != 0; attempt++) {
            Thread.sleep(250);
            result = node.cli("secondary", "replicated0");
        }
        result.orFail();
    }

    /** Bytes in 4 KiB blocks that differ between two volumes. */
    private static long differingBytes(Path a, Path b) throws Exception {
        long differing = 0;
        try (var x = new RandomAccessFile(a.toFile(), "r"); var y = new RandomAccessFile(b.toFile(), "r")) {
            byte[] p = new byte[4096];
            byte[] q = new byte[4096];
            for (long offset = 0; offset < SeedHosts.DATA_BYTES; offset += 4096) {
                x.readFully(p);
                y.readFully(q);
                if (!Arrays.equals(p, q)) {
                    differing += 4096;
                }
            }
        }
        return differing;
    }

    private static DisasterReport.Row row(SeedHosts seed, String scenario, long written, long resynced, int checked,
            int lost, String note) {
        return new DisasterReport.Row(seed.transport.name(), scenario, written, resynced, checked, lost, note);
    }
}
