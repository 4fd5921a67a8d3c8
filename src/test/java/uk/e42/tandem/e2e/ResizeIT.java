package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static uk.e42.tandem.e2e.LoopbackPair.awaitStatus;
import static uk.e42.tandem.e2e.LoopbackPair.disk;
import static uk.e42.tandem.e2e.LoopbackPair.sha256;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import uk.e42.tandem.meta.MetaDisk;
import uk.e42.tandem.meta.MetaLayout;

/**
 * {@code tandem resize} on two daemons after both backing files grew: the agreed size on both nodes, a
 * new NBD connection sees it, the old data stays, the grown area is synced from the Primary, drbdmeta
 * reads the moved internal meta data; and the refusals (peer too small, during a resync, no disk).
 */
@E2e(tools = {"drbdmeta", "nbdinfo", "qemu-io"})
class ResizeIT {
    private static final long GROWN_BYTES = 64L << 20;

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    /** The device's size on the grown disks, internal meta data at their end. */
    private static long newBytes() throws IOException {
        return MetaLayout.forCreate(new MetaDisk.Internal(), GROWN_BYTES, 1, 8).maxUsableSectors() * 512;
    }

    private static void grow(TandemNode node) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(disk(node).toFile(), "rw")) {
            file.setLength(GROWN_BYTES);
        }
    }

    private static long nbdSize(TandemNode node) {
        return Long.parseLong(Tools.run("nbdinfo", "--size", LoopbackPair.nbd(node)).orFail().stdout().trim());
    }

    /** {@code size:} (KiB) of {@code status --statistics}. */
    private static long statusSizeKib(TandemNode node) {
        String status = node.cli("status", "--statistics", "replicated0").orFail().stdout();
        int at = status.indexOf(" size:");
        assertTrue(at >= 0, status);
        int end = at + 6;
        while (end < status.length() && Character.isDigit(status.charAt(end))) {
            end++;
        }
        return Long.parseLong(status.substring(at + 6, end));
    }

    @Test
    void bothDisksGrewResizeAgreesSyncsTheNewAreaAndMovesTheMetaData() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "verify-alg sha1;").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        long oldBytes = MetaLayout.forCreate(new MetaDisk.Internal(), LoopbackPair.DISK_BYTES, 1, 8)
                .maxUsableSectors() * 512;
        assertEquals(oldBytes, nbdSize(rosaria));
        byte[] head = pair.write(rosaria, 0, 1 << 20, 1);
        byte[] tail = pair.write(rosaria, oldBytes - (64 << 10), 64 << 10, 2);
        pair.awaitEqualDisks(oldBytes);

        // Only rosaria's backing file grew: the peer has less space, the device stays.
        grow(rosaria);
        Tools.Result tooSmall = rosaria.cli("resize", "replicated0");
        assertEquals(1, tooSmall.exitCode(), tooSmall.stderr());
        assertTrue(tooSmall.stderr().contains("replicated0: Failure: (111) Low.dev. smaller than requested DRBD-dev."
                + " size."), tooSmall.stderr());
        assertTrue(tooSmall.stderr().contains("The peer's disk size is too small!"), tooSmall.stderr());
        assertEquals(oldBytes, nbdSize(rosaria));

        // Resize during a resync is refused: a full sync held at 4 MiB/s runs long enough to try.
        pair.editConfig("resync-rate 100M;", "resync-rate 4M;");
        for (TandemNode node : pair.nodes()) {
            node.cli("adjust", "replicated0").orFail();
        }
        rosaria.cli("invalidate-remote", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("replication:SyncSource"));
        grow(paimon);
        Tools.Result duringSync = rosaria.cli("resize", "replicated0");
        assertEquals(1, duringSync.exitCode(), duringSync.stderr());
        assertTrue(duringSync.stderr().contains("replicated0: Failure: (130) Resize not allowed during resync."),
                duringSync.stderr());
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        pair.editConfig("resync-rate 4M;", "resync-rate 100M;");
        for (TandemNode node : pair.nodes()) {
            node.cli("adjust", "replicated0").orFail();
        }

        // Both grew: the agreed size is the new one on both, the new area moves from the Primary.
        Tools.Result resized = rosaria.cli("resize", "replicated0").orFail();
        assertTrue(resized.stdout().contains("resized from " + oldBytes / 512 + " to " + newBytes() / 512 + " sectors"),
                resized.stdout());
        awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        long grownBits = (newBytes() - oldBytes) / 4096;
        assertTrue(rosaria.logText().contains("Began resync as SyncSource (will sync " + grownBits * 4 + " KB ["
                + grownBits + " bits set])"), "exactly the grown area moves:\n" + rosaria.logText());
        assertTrue(paimon.logText().contains("moved the internal meta data to the end of the grown backing device"),
                paimon.logText());
        assertEquals(newBytes(), nbdSize(rosaria), "a new NBD connection sees the new size");
        for (TandemNode node : pair.nodes()) {
            assertEquals(newBytes() / 1024, statusSizeKib(node), node.name());
            assertTrue(node.cli("proc").orFail().stdout().contains(" oos:0\n"), node.name());
        }
        assertEquals(sha256(disk(rosaria), newBytes()), sha256(disk(paimon), newBytes()), "the grown area is synced");
        for (TandemNode node : pair.nodes()) {
            assertArrayEquals(head, pair.read(node, 0, head.length), node.name() + ": data before the old end");
            assertArrayEquals(tail, pair.read(node, oldBytes - tail.length, tail.length), node.name());
        }
        // The grown area is part of the device: a write there replicates.
        byte[] grown = pair.write(rosaria, newBytes() - 4096, 4096, 3);
        pair.awaitEqualDisks(newBytes());
        assertArrayEquals(grown, pair.read(paimon, newBytes() - 4096, 4096));

        // Without a disk there is nothing to resize.
        paimon.cli("down", "replicated0").orFail();
        Tools.Result noDisk = paimon.cli("resize", "replicated0");
        assertEquals(1, noDisk.exitCode(), noDisk.stderr());
        assertTrue(noDisk.stderr().contains("replicated0: Failure: (138) Device does not have a disk-config"),
                noDisk.stderr());
        rosaria.cli("down", "replicated0").orFail();

        // drbdmeta reads the moved meta data as Tandem does: the new layout and the agreed size.
        for (TandemNode node : pair.nodes()) {
            String theirs = Tools.run("drbdmeta", "--force", "241", "v08", disk(node).toString(), "internal",
                    "dump-md").orFail().stdout();
            assertTrue(theirs.contains("la-size-sect " + newBytes() / 512 + ";"), theirs);
            String ours = node.cli("dump-md", "replicated0").orFail().stdout();
            assertEquals(MetaDataCliIT.body(theirs), MetaDataCliIT.body(ours), node.name());
        }
    }

    /**
     * A state directory that cannot be written (a container's read-only root, say) costs check-resize its
     * record, not the resource (docs/deployment.md): up attaches, the pair syncs, the log says what is missing.
     */
    @Test
    void aStateDirectoryThatCannotBeWrittenIsLoggedAndTheResourceComesUp() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        Path notADirectory = cluster.root().resolve("state-is-a-file");
        Files.writeString(notADirectory, "");
        pair.rosaria.env("TANDEM_STATE_DIR", notADirectory.toString());
        pair.synced();
        String log = pair.rosaria.logText();
        assertTrue(log.contains("cannot record the backing device's size in "
                + notADirectory.resolve("drbd-minor-0.lkbd")), log);
        pair.awaitEqualDisks();
    }

    private static void truncate(TandemNode node, long bytes) {
        Tools.run("truncate", "-s", Long.toString(bytes), disk(node).toString()).orFail();
    }

    private static String lastKnown(TandemNode node) throws IOException {
        return Files.readString(node.dir().resolve("state/drbd-minor-0.lkbd"));
    }

    @Test
    void disksThatGrewWhileDownAreFoundByCheckResizeOrUpAndTheDeviceGrowsAtConnect() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        long oldBytes = nbdSize(rosaria);
        byte[] head = pair.write(rosaria, 0, 1 << 20, 1);
        byte[] tail = pair.write(rosaria, oldBytes - (64 << 10), 64 << 10, 2);
        pair.awaitEqualDisks(oldBytes);
        for (TandemNode node : pair.nodes()) {
            assertEquals(LoopbackPair.DISK_BYTES + "\t" + disk(node) + "\n", lastKnown(node), "recorded at attach");
            node.cli("down", "replicated0").orFail();
        }

        // rosaria's daemon is stopped and its disk grows: check-resize, run locally, moves the meta data.
        rosaria.stop();
        truncate(rosaria, GROWN_BYTES);
        Tools.Result moved = rosaria.cli("check-resize", "replicated0").orFail();
        assertTrue(moved.stdout().contains("replicated0: Moving the internal meta data to its proper location"),
                moved.stdout());
        assertTrue(moved.stdout().contains("replicated0: Internal drbd meta data successfully moved."), moved.stdout());
        assertEquals(GROWN_BYTES + "\t" + disk(rosaria) + "\n", lastKnown(rosaria));
        String theirs = Tools.run("drbdmeta", "--force", "241", "v08", disk(rosaria).toString(), "internal",
                "dump-md").orFail().stdout();
        assertTrue(theirs.contains("la-size-sect " + oldBytes / 512 + ";"), "the grown space is not used yet:\n"
                + theirs);
        assertTrue(theirs.contains("# md_offset " + (GROWN_BYTES - 4096) + "\n"), theirs);
        assertEquals(MetaDataCliIT.body(theirs), MetaDataCliIT.body(rosaria.cli("dump-md", "replicated0").orFail()
                .stdout()));
        rosaria.start().awaitLive(Duration.ofSeconds(60));

        // The seed's reboot: up and primary on rosaria while paimon is away (a new data generation there) ...
        rosaria.cli("up", "replicated0").orFail();
        rosaria.cli("primary", "replicated0").orFail();
        assertEquals(oldBytes / 1024, statusSizeKib(rosaria), "alone, the device keeps its agreed size");
        // ... then paimon, whose daemon runs and whose disk grew while the resource was down: up finds the
        // meta data at the old end and moves it.
        truncate(paimon, GROWN_BYTES);
        paimon.cli("up", "replicated0").orFail();
        paimon.awaitLog("Internal drbd meta data successfully moved.");
        assertEquals(GROWN_BYTES + "\t" + disk(paimon) + "\n", lastKnown(paimon));

        // At connect both disks offer more: the device grows on both (DRBD's receive_sizes), the new area out
        // of sync, and rosaria's bitmap resync moves it with what it wrote alone.
        awaitStatus(paimon, s -> s.contains("  disk:UpToDate") && s.contains("peer-disk:UpToDate"));
        long grownBits = (newBytes() - oldBytes) / 4096;
        for (TandemNode node : pair.nodes()) {
            assertTrue(node.logText().contains("both backing devices offer more"), node.name());
            assertEquals(newBytes() / 1024, statusSizeKib(node), node.name() + ": grown at connect");
            assertArrayEquals(head, pair.read(node, 0, head.length), node.name() + ": the data is intact");
            assertArrayEquals(tail, pair.read(node, oldBytes - tail.length, tail.length), node.name());
        }
        assertTrue(rosaria.logText().contains("Began resync as SyncSource (will sync " + grownBits * 4 + " KB ["
                + grownBits + " bits set])"), "exactly the grown area moves:\n" + rosaria.logText());
        assertEquals(newBytes(), nbdSize(rosaria));
        assertEquals(sha256(disk(rosaria), newBytes()), sha256(disk(paimon), newBytes()), "the grown area is synced");
        byte[] grown = pair.write(rosaria, newBytes() - 4096, 4096, 3);
        pair.awaitEqualDisks(newBytes());
        assertArrayEquals(grown, pair.read(paimon, newBytes() - 4096, 4096));

        // On an attached resource check-resize is resize (drbdadm runs drbdsetup resize there): nothing left to do.
        Tools.Result unchanged = rosaria.cli("check-resize", "replicated0").orFail();
        assertTrue(unchanged.stdout().contains("replicated0: size unchanged: " + newBytes() / 512 + " sectors"),
                unchanged.stdout());
    }

    @Test
    void twoSecondariesWhoseDisksGrewWhileConnectedGrowAtTheNextConnectWithoutAResync() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        long oldBytes = nbdSize(rosaria);
        rosaria.cli("secondary", "replicated0").orFail();
        for (TandemNode node : pair.nodes()) {
            grow(node);
        }
        assertEquals(oldBytes / 1024, statusSizeKib(paimon), "a backing device that grows changes nothing by itself");
        rosaria.cli("disconnect", "replicated0").orFail();
        rosaria.cli("connect", "replicated0").orFail();
        long grownBits = (newBytes() - oldBytes) / 4096;
        for (TandemNode node : pair.nodes()) {
            awaitStatus(node, s -> s.contains("replication:Established peer-disk:UpToDate"));
            assertEquals(newBytes() / 1024, statusSizeKib(node), node.name() + ": grown at connect");
            // DRBD's rule 40 between equal Secondaries: the new area stays marked, nothing moves.
            node.awaitLog("No resync, but " + grownBits + " bits in bitmap!");
            assertTrue(node.logText().contains("moved the internal meta data to the end of the grown backing device"),
                    node.name());
        }
        assertEquals(newBytes(), nbdSize(paimon));
    }

    @Test
    void atTheFirstConnectTheSmallerDiskWins() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        long smaller = LoopbackPair.DISK_BYTES - (4L << 20);
        try (RandomAccessFile file = new RandomAccessFile(disk(paimon).toFile(), "rw")) {
            file.setLength(smaller);
        }
        long agreedBytes = MetaLayout.forCreate(new MetaDisk.Internal(), smaller, 1, 8).maxUsableSectors() * 512;
        pair.synced();
        assertTrue(rosaria.logText().contains("the peer's disk is smaller (" + (agreedBytes >>> 9) + " < "),
                "rosaria, Inconsistent at the first connect, shrinks to paimon's size");
        assertEquals(agreedBytes, nbdSize(rosaria));
        assertEquals(agreedBytes, nbdSize(paimon));
        assertEquals(agreedBytes >>> 10, statusSizeKib(rosaria));
        byte[] last = pair.write(rosaria, agreedBytes - (64 << 10), 64 << 10, 9);
        assertArrayEquals(last, pair.read(paimon, agreedBytes - (64 << 10), 64 << 10),
                "the last block of the agreed size replicates");
        pair.awaitEqualDisks(agreedBytes);
    }

    @Test
    void atTheFirstConnectANodeWhoseDataCountsRefusesASmallerPeer() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        long oldBytes = nbdSize(rosaria);
        // paimon's disk is replaced by a smaller one with fresh meta data: rosaria, UpToDate and Primary, must not shrink.
        paimon.cli("down", "replicated0").orFail();
        try (RandomAccessFile file = new RandomAccessFile(disk(paimon).toFile(), "rw")) {
            file.setLength(LoopbackPair.DISK_BYTES - (4L << 20));
        }
        paimon.cli("create-md", "--force", "replicated0").orFail();
        paimon.cli("up", "replicated0").orFail();
        awaitStatus(rosaria, s -> s.contains("peer connection:StandAlone"));
        assertTrue(rosaria.logText().contains("The peer's disk size is too small! ("), rosaria.logText());
        assertEquals(oldBytes, nbdSize(rosaria), "the data that counts keeps its size");
        assertEquals(oldBytes / 1024, statusSizeKib(rosaria));
    }

    @Test
    void aResizeThisNodeHasNoHeapForIsRefusedBeforeThePeerChangesAnything() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "");
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        // paimon has the heap for 2 TiB, rosaria keeps the launcher's -Xmx128m.
        paimon.env("TANDEM_JAVA_OPTS", "-Xmx192m");
        pair.synced();
        long oldBytes = nbdSize(rosaria);
        for (TandemNode node : pair.nodes()) {
            try (RandomAccessFile file = new RandomAccessFile(disk(node).toFile(), "rw")) {
                file.setLength(2L << 40);
            }
        }
        Tools.Result noHeap = rosaria.cli("resize", "replicated0");
        assertEquals(1, noHeap.exitCode(), noHeap.stderr());
        assertTrue(noHeap.stderr().contains("replicated0: cannot resize: this ") && noHeap.stderr().contains(
                "start the daemon with a larger heap, e.g. TANDEM_JAVA_OPTS=-Xmx192m"), noHeap.stderr());
        for (TandemNode node : pair.nodes()) {
            assertEquals(oldBytes, nbdSize(node), node.name() + " keeps its size");
            assertEquals(oldBytes / 1024, statusSizeKib(node), node.name());
        }
        assertTrue(!paimon.logText().contains("size = "), "the peer heard nothing of it:\n" + paimon.logText());
    }
}
