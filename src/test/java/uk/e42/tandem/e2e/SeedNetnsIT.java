package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed (issue 9) on two network-namespace hosts: the howto's OpenVPN static-key tunnel between
 * rosaria and paimon, its global_common.conf and 0_replicated0.res verbatim except the LVM paths
 * (per-node files instead of /dev/local/replicated0 and /dev/local/drbdmeta, since both "hosts"
 * share this machine's filesystem), its key as the link key; the initial full sync with the
 * seed's status, the reboot without data resync, a planned switch-over; then disaster (a): the cable is pulled, rosaria keeps writing, the cable comes
 * back and only the dirty blocks move.
 */
@E2e(root = true, netns = true, tun = true, tools = {"ip", "openvpn", "qemu-io"})
class SeedNetnsIT {
    static final long DISK_BYTES = 32L << 20;
    static final Path SEED = Path.of("src/test/resources/config/corpus/seed");

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void seedOverOpenVpnThenPulledCableResyncsOnlyDirtyBlocks() throws Exception {
        try (NetnsHosts hosts = new NetnsHosts()) {
            NetnsHosts.Host rosariaHost = hosts.host("rosaria");
            NetnsHosts.Host paimonHost = hosts.host("paimon");
            NetnsHosts.Link cable = hosts.link(rosariaHost, paimonHost);
            Path key = cluster.root().resolve("static.key");
            Tools.run("openvpn", "--genkey", "secret", key.toString()).orFail();
            openVpn(hosts, rosariaHost, "rosaria", null, key);
            openVpn(hosts, paimonHost, "paimon", cable.aAddress(), key);
            awaitTunnel("rosaria");
            awaitTunnel("paimon");

            TandemNode rosaria = seedNode("rosaria", rosariaHost, key);
            TandemNode paimon = seedNode("paimon", paimonHost, key);
            for (TandemNode node : new TandemNode[] {rosaria, paimon}) {
                node.cli("create-md", "--force", "replicated0").orFail();
                node.start().awaitLive(Duration.ofSeconds(60));
            }
            rosaria.cli("up", "replicated0").orFail();
            paimon.cli("up", "replicated0").orFail();
            String fresh = """
                    replicated0 role:Secondary
                      disk:Inconsistent
                      peer role:Secondary
                        replication:Established peer-disk:Inconsistent

                    """;
            LoopbackPair.awaitStatus(rosaria, fresh::equals);
            rosaria.cli("--", "--overwrite-data-of-peer", "primary", "all").orFail();
            assertEquals("""
                    replicated0 role:Primary
                      disk:UpToDate
                      peer role:Secondary
                        replication:Established peer-disk:UpToDate

                    """, LoopbackPair.awaitStatus(rosaria, s -> s.contains("peer-disk:UpToDate")));
            System.out.printf("seed: initial full sync over OpenVPN, %d bytes resynced%n", resynced(paimon));

            write(hosts, rosariaHost, 0, 1);
            awaitTransferLogEmpty(rosaria);

            // The seed's reboot: both stop and start, rosaria up + primary, paimon up; no data resync.
            rosaria.stop();
            paimon.stop();
            for (TandemNode node : new TandemNode[] {rosaria, paimon}) {
                node.start().awaitLive(Duration.ofSeconds(60));
            }
            rosaria.cli("up", "replicated0").orFail();
            rosaria.cli("primary", "replicated0").orFail();
            paimon.cli("up", "replicated0").orFail();
            LoopbackPair.awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
            String rebooted = paimon.logText().substring(paimon.logText().lastIndexOf("=== start 2"));
            assertEquals(0, resynced(rebooted), "no data resync after the reboot:\n" + rebooted);
            System.out.println("seed reboot: 0 bytes resynced");

            // Planned switch-over: paimon serves what rosaria wrote.
            rosaria.cli("secondary", "replicated0").orFail();
            paimon.cli("primary", "replicated0").orFail();
            assertPattern(hosts, paimonHost, 0, 1);
            paimon.cli("secondary", "replicated0").orFail();
            rosaria.cli("primary", "replicated0").orFail();
            System.out.println("seed switch-over: 1 MiB checked on paimon as Primary, 0 lost writes");

            awaitTransferLogEmpty(rosaria);
            hosts.cut(cable);
            LoopbackPair.awaitStatus(rosaria, s -> s.contains("peer connection:Connecting"));
            write(hosts, rosariaHost, 4L << 20, 2);
            hosts.restore(cable);
            LoopbackPair.awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate")
                    && s.contains("role:Primary"));
            String afterCut = rosaria.logText().substring(rosaria.logText().lastIndexOf("connection lost"));
            long moved = resynced(afterCut);
            assertEquals(1L << 20, moved, "only the blocks written while the cable was out move");
            rosaria.cli("secondary", "replicated0").orFail();
            awaitEqual(rosaria.dir().resolve("replicated0.img"), paimon.dir().resolve("replicated0.img"));
            System.out.printf("seed disaster (a): 2 MiB written (1 MiB while cut), %d bytes resynced, disks equal, "
                    + "0 lost writes%n", moved);
        }
    }

    private void openVpn(NetnsHosts hosts, NetnsHosts.Host host, String name, String remote, Path key)
            throws Exception {
        Path dir = Files.createDirectories(cluster.root().resolve("openvpn-" + name));
        String conf = Files.readString(Path.of("deploy/openvpn/openvpn-" + name + ".conf"));
        if (remote != null) {
            conf = conf.replace("remote 192.168.1.8", "remote " + remote);
        }
        Files.writeString(dir.resolve("openvpn.conf"), conf);
        Files.copy(key, dir.resolve("static.key"));
        hosts.exec(host, "openvpn", "--cd", dir.toString(), "--config", "openvpn.conf", "--daemon", "--log",
                dir.resolve("openvpn.log").toString());
    }

    private void awaitTunnel(String name) throws Exception {
        Path log = cluster.root().resolve("openvpn-" + name).resolve("openvpn.log");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (Files.exists(log) && Files.readString(log).contains("Initialization Sequence Completed")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("OpenVPN tunnel of " + name + " never came up:\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    /** A node whose /etc/drbd.conf and drbd.d are the seed's, its LVM volumes files of its own. */
    private TandemNode seedNode(String name, NetnsHosts.Host host, Path key) throws Exception {
        TandemNode node = cluster.node(name, host);
        Path etc = Files.createDirectories(node.dir().resolve("etc/drbd.d"));
        Files.copy(SEED.resolve("drbd.conf"), etc.getParent().resolve("drbd.conf"));
        Files.copy(SEED.resolve("drbd.d/global_common.conf"), etc.resolve("global_common.conf"));
        Path data = node.dir().resolve("replicated0.img");
        Path meta = node.dir().resolve("drbdmeta.img");
        Files.writeString(etc.resolve("0_replicated0.res"), Files.readString(SEED.resolve("drbd.d/0_replicated0.res"))
                .replace("/dev/local/replicated0", data.toString()).replace("/dev/local/drbdmeta", meta.toString()));
        try (var file = new RandomAccessFile(data.toFile(), "rw")) {
            file.setLength(DISK_BYTES);
        }
        try (var file = new RandomAccessFile(meta.toFile(), "rw")) {
            file.setLength(128L << 20);
        }
        return node.env("TANDEM_CONFIG", etc.getParent().resolve("drbd.conf").toString())
                .env("TANDEM_TLS_KEY_FILE", key.toString());
    }

    private void write(NetnsHosts hosts, NetnsHosts.Host host, long offset, int pattern) {
        hosts.exec(host, "qemu-io", "-f", "raw", "-c", "write -P " + pattern + " " + offset + " 1M", "-c", "flush",
                "nbd://127.0.0.1:10809/replicated0");
    }

    /**
     * Waits until nothing is in flight (/proc/drbd's pe:0 ua:0 ap:0 ep:1, DRBD's idle figures) and
     * a moment more for the last barrier ack, which /proc/drbd cannot show (ep never drops below 1):
     * under protocol A a write completes before its epoch is acknowledged, and one the peer has not
     * acknowledged when the link goes is resynced.
     */
    private static void awaitTransferLogEmpty(TandemNode node) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        String proc = "";
        while (Instant.now().isBefore(deadline)) {
            proc = node.cli("proc").stdout();
            if (proc.contains(" pe:0 ua:0 ap:0 ep:1 ")) {
                Thread.sleep(1000);
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(node.name() + ": epochs still unacknowledged:\n" + proc);
    }

    private void assertPattern(NetnsHosts hosts, NetnsHosts.Host host, long offset, int pattern) {
        String out = hosts.exec(host, "qemu-io", "-f", "raw", "-c", "read -P " + pattern + " " + offset + " 1M",
                "nbd://127.0.0.1:10809/replicated0").stdout();
        assertTrue(out.contains("read 1048576/1048576 bytes") && !out.contains("Pattern verification failed"),
                "the write at " + offset + " is there:\n" + out);
    }

    private static long resynced(TandemNode node) {
        return resynced(node.logText());
    }

    /** Sum of "Began resync ... (will sync N KB" in a log, in bytes. */
    private static long resynced(String log) {
        Matcher m = Pattern.compile("Began resync as Sync\\w+ \\(will sync (\\d+) KB").matcher(log);
        long kb = 0;
        while (m.find()) {
            kb += Long.parseLong(m.group(1));
        }
        return kb << 10;
    }

    private static void awaitEqual(Path a, Path b) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!LoopbackPair.sha256(a, DISK_BYTES).equals(LoopbackPair.sha256(b, DISK_BYTES))
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
        }
        assertEquals(LoopbackPair.sha256(a, DISK_BYTES), LoopbackPair.sha256(b, DISK_BYTES), "disks equal");
    }
}
