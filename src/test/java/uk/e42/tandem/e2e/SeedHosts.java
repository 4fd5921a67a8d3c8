package uk.e42.tandem.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The seed's two hosts, rosaria and paimon: network namespaces joined by a veth "cable", each with
 * its volume group {@code local} ({@code /dev/local/replicated0}, {@code /dev/local/drbdmeta}) on
 * loop devices, the seed's {@code /etc/drbd.conf} and drbd.d files and its key, and a daemon; the
 * peer link either through the seed's OpenVPN tunnel or straight over the cable with Tandem's TLS.
 * Close it to stop everything and undo the mounts, loop devices and namespaces.
 */
final class SeedHosts implements AutoCloseable {
    static final Path SEED = Path.of("src/test/resources/config/corpus/seed");
    static final long DATA_BYTES = 64L << 20;
    /** One external meta-data slot, as the seed's {@code drbdmeta[0]} needs. */
    static final long META_BYTES = 128L << 20;

    /** How the two daemons reach each other. */
    enum Transport {
        /** The seed's OpenVPN static-key tunnel (192.168.56.1/.2) over the cable; drbd.d verbatim. */
        OPENVPN,
        /** No tunnel: Tandem's TLS on the cable's own addresses, the .res addresses changed to them. */
        TLS
    }

    final Transport transport;
    final NetnsHosts hosts = new NetnsHosts();
    final NetnsHosts.Host rosariaHost;
    final NetnsHosts.Host paimonHost;
    final NetnsHosts.Link cable;
    final TandemNode rosaria;
    final TandemNode paimon;
    private final TandemCluster cluster;
    private final LocalVolumes rosariaVolumes;
    private final LocalVolumes paimonVolumes;
    private final boolean madeDevLocal;
    private final List<NbdFilesystem> filesystems = new ArrayList<>();

    SeedHosts(TandemCluster cluster, Transport transport) throws Exception {
        this.cluster = cluster;
        this.transport = transport;
        madeDevLocal = LocalVolumes.ensureDevLocal();
        rosariaVolumes = new LocalVolumes(cluster.root().resolve("rosaria-lvm"));
        paimonVolumes = new LocalVolumes(cluster.root().resolve("paimon-lvm"));
        try {
            rosariaHost = hosts.host("rosaria");
            paimonHost = hosts.host("paimon");
            cable = hosts.link(rosariaHost, paimonHost);
            Path key = cluster.root().resolve("static.key");
            Tools.run("openvpn", "--genkey", "secret", key.toString()).orFail();
            if (transport == Transport.OPENVPN) {
                openVpn(rosariaHost, "rosaria", null, key);
                openVpn(paimonHost, "paimon", cable.aAddress(), key);
                awaitTunnel("rosaria");
                awaitTunnel("paimon");
            }
            rosaria = seedNode("rosaria", rosariaHost, rosariaVolumes, key);
            paimon = seedNode("paimon", paimonHost, paimonVolumes, key);
        } catch (Exception | AssertionError e) {
            close();
            throw e;
        }
    }

    TandemNode[] nodes() {
        return new TandemNode[] {rosaria, paimon};
    }

    NetnsHosts.Host host(TandemNode node) {
        return node == rosaria ? rosariaHost : paimonHost;
    }

    /** The loop device behind a node's {@code /dev/local/replicated0}. */
    Path data(TandemNode node) {
        return (node == rosaria ? rosariaVolumes : paimonVolumes).device("replicated0");
    }

    /** nbdfuse + losetup of the node's export (see {@link NbdFilesystem}); closed with this. */
    NbdFilesystem attach(TandemNode node) throws IOException {
        NbdFilesystem fs = NbdFilesystem.attach(host(node), node,
                Files.createDirectories(cluster.root().resolve("fs-" + node.name() + "-" + filesystems.size())));
        filesystems.add(fs);
        return fs;
    }

    /** Sets {@code protocol X;} in both nodes' global_common.conf (the daemons read it at their next start). */
    void protocol(char protocol) throws IOException {
        for (TandemNode node : nodes()) {
            Path common = node.dir().resolve("etc/drbd.d/global_common.conf");
            String text = Files.readString(common).replaceAll("protocol [ABC];", "protocol " + protocol + ";");
            Files.writeString(common, text);
        }
    }

    /**
     * The seed's reboot: both daemons stop and start again, then {@code up} and {@code primary} on
     * rosaria, {@code up} on paimon, and they are connected and UpToDate again.
     */
    void reboot() {
        for (TandemNode node : nodes()) {
            node.stop();
        }
        for (TandemNode node : nodes()) {
            node.start().awaitLive(Duration.ofSeconds(60));
        }
        rosaria.cli("up", "replicated0").orFail();
        rosaria.cli("primary", "replicated0").orFail();
        paimon.cli("up", "replicated0").orFail();
        LoopbackPair.awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
    }

    /**
     * Waits until nothing is in flight (/proc/drbd's pe:0 ua:0 ap:0 ep:1, DRBD's idle figures) and
     * a moment more for the last barrier ack, which /proc/drbd cannot show (ep never drops below 1):
     * under protocol A a write completes before its epoch is acknowledged, and one the peer has not
     * acknowledged when the link goes is resynced.
     */
    static void awaitTransferLogEmpty(TandemNode node) throws InterruptedException {
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

    /** Bytes a node began to resync as SyncSource since its log had {@code mark} characters. */
    static long resyncedSince(TandemNode node, int mark) {
        Matcher m = Pattern.compile("Began resync as SyncSource \\(will sync (\\d+) KB").matcher(node.logText());
        long kb = 0;
        int from = mark;
        while (m.find(from)) {
            kb += Long.parseLong(m.group(1));
            from = m.end();
        }
        return kb << 10;
    }

    /** Waits until both data volumes are equal, then asserts it. */
    void awaitEqualDisks() throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!LoopbackPair.sha256(data(rosaria), DATA_BYTES).equals(LoopbackPair.sha256(data(paimon), DATA_BYTES))
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
        }
        if (!LoopbackPair.sha256(data(rosaria), DATA_BYTES).equals(LoopbackPair.sha256(data(paimon), DATA_BYTES))) {
            throw new AssertionError("the data volumes of rosaria and paimon differ");
        }
    }

    private void openVpn(NetnsHosts.Host host, String name, String remote, Path key) throws Exception {
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

    /**
     * A node with the seed's /etc/drbd.conf and drbd.d (verbatim over OpenVPN; over plain TLS only
     * the addresses become the cable's), its LVs made as the seed's lvcreate does, its key.
     */
    private TandemNode seedNode(String name, NetnsHosts.Host host, LocalVolumes volumes, Path key) throws Exception {
        TandemNode node = cluster.node(name, host);
        Path etc = Files.createDirectories(node.dir().resolve("etc/drbd.d"));
        Files.copy(SEED.resolve("drbd.conf"), etc.getParent().resolve("drbd.conf"));
        Files.copy(SEED.resolve("drbd.d/global_common.conf"), etc.resolve("global_common.conf"));
        String res = Files.readString(SEED.resolve("drbd.d/0_replicated0.res"));
        if (transport == Transport.TLS) {
            res = res.replace("192.168.56.1:7789", cable.aAddress() + ":7789")
                    .replace("192.168.56.2:7789", cable.bAddress() + ":7789");
        }
        Files.writeString(etc.resolve("0_replicated0.res"), res);
        volumes.create("drbdmeta", META_BYTES);
        volumes.create("replicated0", DATA_BYTES);
        return node.localDevices(volumes.dir())
                .env("TANDEM_CONFIG", etc.getParent().resolve("drbd.conf").toString())
                .env("TANDEM_TLS_KEY_FILE", key.toString());
    }

    @Override
    public void close() throws IOException {
        try {
            filesystems.forEach(NbdFilesystem::close);
            for (TandemNode node : nodes()) {
                if (node != null) {
                    node.stop();
                }
            }
        } finally {
            try {
                rosariaVolumes.close();
                paimonVolumes.close();
                hosts.close();
            } finally {
                if (madeDevLocal) {
                    Files.deleteIfExists(LocalVolumes.DEV_LOCAL);
                }
            }
        }
    }
}
