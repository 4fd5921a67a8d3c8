package uk.e42.tandem.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model and the effective per-node view, read from the seed and small files. */
class ConfigParserTest {
    static final Path SEED = DrbdadmDumpCompatibilityTest.CORPUS.resolve("seed/drbd.conf");

    @TempDir
    Path dir;

    @Test
    void seedResolvesForRosariaWithTheSyncerMappedAndCommonInherited() {
        DrbdConfig config = ConfigParser.parse(SEED);
        assertEquals(Dialect.DRBD84, config.dialect());
        assertEquals(List.of("replicated0"), config.resourceNames());
        ResolvedResource r = config.forNode("rosaria", LocalAddresses.none()).resource("replicated0");
        assertEquals(List.of("rosaria"), r.me().names());
        assertEquals(List.of("paimon"), r.peer().orElseThrow().names());
        assertEquals(new Address("ipv4", "192.168.56.1", 7789, r.address().at()), r.address());
        assertEquals("192.168.56.2:7789", r.peer().orElseThrow().address().hostPort());
        NetConfig net = r.net();
        assertEquals('A', net.protocol());
        assertEquals(Optional.of("joshua"), net.sharedSecret());
        assertEquals(Optional.of("sha1"), net.cramHmacAlg());
        assertEquals(10L << 20, net.sndbufSize());
        assertTrue(net.useRle());
        assertEquals(Optional.of("md5"), net.csumsAlg());
        assertEquals("discard-zero-changes", net.afterSb0pri());
        assertEquals("discard-secondary", net.afterSb1pri());
        assertEquals("disconnect", net.afterSb2pri());
        assertEquals(1024, r.disk().resyncRate(), "rate 1M in syncer is resync-rate 1024 KiB/s");
        ResolvedVolume v = r.volumes().get(0);
        assertEquals("/dev/drbd0", v.device());
        assertEquals(0, v.minor());
        assertEquals("/dev/local/replicated0", v.disk());
        assertEquals(new MetaDisk.Indexed("/dev/local/drbdmeta", 0), v.metaDisk());
        assertEquals(1024, v.diskOptions().resyncRate());
    }

    @Test
    void unsetOptionsHaveDrbd84Defaults() throws IOException {
        Path file = write("resource r { device minor 1; disk /dev/x; meta-disk internal;\n"
                + " on a { address 10.0.0.1:1; } on b { address 10.0.0.2:1; } }\n");
        ResolvedResource r = ConfigParser.parse(file).forNode("a", LocalAddresses.none()).resource("r");
        NetConfig net = r.net();
        assertEquals('C', net.protocol());
        assertEquals(Optional.empty(), net.sharedSecret());
        assertEquals(Optional.empty(), net.cramHmacAlg());
        assertEquals(Optional.empty(), net.verifyAlg());
        assertEquals(Duration.ofSeconds(6), net.timeout());
        assertEquals(Duration.ofSeconds(10), net.pingInt());
        assertEquals(Duration.ofMillis(500), net.pingTimeout());
        assertEquals(Duration.ofSeconds(10), net.connectInt());
        assertEquals(7, net.koCount());
        assertEquals(0, net.sndbufSize());
        assertFalse(net.allowTwoPrimaries());
        assertTrue(net.useRle());
        assertEquals("disconnect", net.afterSb0pri());
        DiskConfig disk = r.disk();
        assertEquals(250, disk.resyncRate());
        assertEquals(1237, disk.alExtents());
        assertEquals(20, disk.cPlanAhead());
        assertEquals(100, disk.cFillTarget());
        assertEquals(10, disk.cDelayTarget());
        assertEquals(102400, disk.cMaxRate());
        assertEquals(250, disk.cMinRate());
        assertEquals("detach", disk.onIoError());
        assertEquals("dont-care", disk.fencing());
        assertEquals("/dev/drbd1", r.volumes().get(0).device());
        assertEquals(new MetaDisk.Internal(), r.volumes().get(0).metaDisk());
    }

    @Test
    void resourceOverridesCommonAndVolumeOverridesResource() throws IOException {
        Path file = write("""
                common { disk { resync-rate 10M; al-extents 257; } net { protocol B; } }
                resource r {
                  disk { resync-rate 20M; c-fill-target 8K; }
                  syncer { al-extents 3389; }
                  volume 0 { device minor 1; disk /dev/x; meta-disk internal; disk { resync-rate 30M; } }
                  volume 1 { device minor 2; disk /dev/y; meta-disk internal; }
                  on a { volume 0 { disk { on-io-error pass_on; } } volume 1 { } address 10.0.0.1:1; }
                  on b { address 10.0.0.2:1; }
                }
                """);
        ResolvedResource r = ConfigParser.parse(file).forNode("a", LocalAddresses.none()).resource("r");
        assertEquals('B', r.net().protocol());
        assertEquals(20 << 10, r.disk().resyncRate());
        assertEquals(16, r.disk().cFillTarget(), "8K is 16 sectors");
        assertEquals(3389, r.disk().alExtents());
        assertEquals(30 << 10, r.volumes().get(0).diskOptions().resyncRate());
        assertEquals("pass_on", r.volumes().get(0).diskOptions().onIoError());
        assertEquals(20 << 10, r.volumes().get(1).diskOptions().resyncRate());
        assertEquals("detach", r.volumes().get(1).diskOptions().onIoError());
    }

    @Test
    void nodeNotInTheResourceIsAnErrorNamingTheHosts() {
        NodeView view = ConfigParser.parse(SEED).forNode("vm", LocalAddresses.none());
        assertEquals(List.of(), view.resourceNames());
        ConfigException e = assertThrows(ConfigException.class, () -> view.resource("replicated0"));
        assertEquals("resource replicated0 has no host section for this node 'vm' (hosts found: rosaria, paimon)",
                e.problem());
        assertTrue(e.hint().contains("tandem.node-name"));
    }

    @Test
    void floatingSectionIsPickedByLocalAddress() {
        DrbdConfig config = ConfigParser.parse(DrbdadmDumpCompatibilityTest.CORPUS.resolve("06-floating.conf"));
        NodeView view = config.forNode("anything", a -> a.equals("10.20.0.2"));
        ResolvedResource r = view.resource("shared");
        assertEquals("10.20.0.2:7788", r.address().hostPort());
        assertEquals("/dev/vg/shared-b", r.volumes().get(0).disk());
        assertEquals("10.20.0.1:7788", r.peer().orElseThrow().address().hostPort());
    }

    @Test
    void drbd9NodeIdAndPeersAreKept() {
        DrbdConfig config = ConfigParser.parse(DrbdadmDumpCompatibilityTest.CORPUS.resolve("v9-mesh.conf"));
        assertEquals(Dialect.DRBD9, config.dialect());
        ResolvedResource r = config.forNode("bravo", LocalAddresses.none()).resource("r0");
        assertEquals(Optional.of(1), r.nodeId());
        assertEquals(2, r.peers().size());
        assertEquals(Optional.empty(), r.peer());
        assertEquals(List.of("alpha", "bravo", "charlie"), r.source().meshes().get(0).hosts());
    }

    @Test
    void includeTreeReadsEachFileOnceInSortedOrder() {
        DrbdConfig config = ConfigParser.parse(DrbdadmDumpCompatibilityTest.CORPUS.resolve("include-tree/drbd.conf"));
        assertEquals(List.of("alpha", "bravo", "extra"), config.resourceNames());
        assertTrue(config.resource("alpha").orElseThrow().at().file().endsWith("conf.d/resources/a.res"));
    }

    @Test
    void sizesConvertLikeDrbdadm() {
        assertEquals(OptionalLong.of(1024), Sizes.parse("1M", 'k'));
        assertEquals(OptionalLong.of(10L << 20), Sizes.parse("10M", '1'));
        assertEquals(OptionalLong.of(16), Sizes.parse("8K", 's'));
        assertEquals(OptionalLong.of(8), Sizes.parse("16s", 'k'));
        assertEquals(OptionalLong.of(1), Sizes.parse("1s", 'k'), "rounds up");
        assertEquals(OptionalLong.of(512 << 10), Sizes.parse("512k", '1'));
        assertEquals(OptionalLong.empty(), Sizes.parse("10X", '1'));
        assertEquals(OptionalLong.empty(), Sizes.parse("M", '1'));
        assertEquals(OptionalLong.empty(), Sizes.parse("1MM", '1'));
    }

    private Path write(String text) throws IOException {
        Path file = dir.resolve("drbd.conf");
        Files.writeString(file, text);
        return file;
    }
}
