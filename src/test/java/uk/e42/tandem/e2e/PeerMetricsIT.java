package uk.e42.tandem.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import uk.e42.tandem.metrics.PrometheusText;

/**
 * Issue 8's peer metrics on a real pair (protocol C), scraped from /q/metrics and parsed as
 * Prometheus text: the ack-latency histogram fills with the writes, the byte counters count exactly
 * the data that crossed, and across a reconnect the counters keep going up while DRBD's own
 * per-connection figures (drbd-reactor's gauges, /proc/drbd's ns) start again from zero. The
 * Secondary's dw and drbd_device_written_bytes_total count the replicated writes and resync data its
 * disk took, as DRBD's do.
 */
@E2e(tools = {"qemu-io"})
class PeerMetricsIT {
    private static final String PEER = "{conn_name=paimon, name=replicated0, volume=0}";
    private static final String FROM_PEER = "{conn_name=rosaria, name=replicated0, volume=0}";
    private static final String DEVICE = "{name=replicated0, volume=0}";
    private static final String LATENCY = "tandem_peerdevice_ack_latency_seconds";
    private static final String LATENCY_LABELS = "conn_name=paimon, name=replicated0, protocol=C, volume=0";

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void ackLatencyHistogramFillsAndByteCountersSurviveAReconnect() throws Exception {
        LoopbackPair pair = new LoopbackPair(cluster, "").synced();
        TandemNode rosaria = pair.rosaria;
        TandemNode paimon = pair.paimon;
        // the initial full sync is data sent and received, as DRBD's ns/nr count it
        double afterSync = awaitBothSides(pair, sent -> sent > 0);
        assertEquals(afterSync, metric(rosaria, "drbd_peerdevice_sent_bytes" + PEER),
                "one connection so far: drbd-reactor's per-connection figure is the total");
        assertEquals(afterSync, metric(paimon, "drbd_device_written_bytes_total" + DEVICE),
                "the Secondary's disk took the resync data: DRBD's dw counts it");
        double acknowledged = metric(rosaria, LATENCY + "_count{" + LATENCY_LABELS + "}");

        pair.write(rosaria, 0, 1 << 20, 1);
        pair.write(rosaria, 3 << 20, 512, 2);
        double afterWrites = awaitBothSides(pair, sent -> sent > afterSync);
        assertEquals((1 << 20) + 512, afterWrites - afterSync, "exactly the written bytes, a 512-byte write too");
        assertEquals(afterWrites, metric(paimon, "drbd_device_written_bytes_total" + DEVICE),
                "protocol C: each replicated write is on the Secondary's disk, and counted there, before it completes");
        Map<String, PrometheusText.Sample> samples = scrape(rosaria);
        double count = value(samples, LATENCY + "_count{" + LATENCY_LABELS + "}");
        assertTrue(count >= acknowledged + 2, "each write acknowledged: " + acknowledged + " -> " + count);
        assertEquals("histogram", samples.get(LATENCY + "_count{" + LATENCY_LABELS + "}").type());
        assertEquals(count, value(samples,
                LATENCY + "_bucket{conn_name=paimon, le=+Inf, name=replicated0, protocol=C, volume=0}"));
        assertTrue(value(samples, LATENCY + "_sum{" + LATENCY_LABELS + "}") > 0);
        List<Double> buckets = samples.values().stream().filter(s -> s.name().equals(LATENCY + "_bucket")
                && !s.labels().get("le").equals("+Inf")).map(PrometheusText.Sample::value).toList();
        assertEquals(15, buckets.size(), "100 µs up to 6 s");
        for (int i = 1; i < buckets.size(); i++) {
            assertTrue(buckets.get(i) >= buckets.get(i - 1), "cumulative buckets: " + buckets);
        }

        rosaria.cli("disconnect", "replicated0").orFail();
        LoopbackPair.awaitStatus(rosaria, s -> s.contains("peer connection:StandAlone"));
        rosaria.cli("connect", "replicated0").orFail();
        LoopbackPair.awaitStatus(rosaria, s -> s.contains("replication:Established peer-disk:UpToDate"));
        LoopbackPair.awaitStatus(paimon, s -> s.contains("replication:Established peer-disk:UpToDate"));
        assertEquals(afterWrites, metric(rosaria, "tandem_peerdevice_sent_bytes_total" + PEER),
                "a counter never goes down");
        assertEquals(0.0, metric(rosaria, "drbd_peerdevice_sent_bytes" + PEER), "DRBD's figure: this connection");
        assertEquals(0L, procDrbd(rosaria, "ns"));

        pair.write(rosaria, 5 << 20, 8192, 3);
        assertEquals(afterWrites + 8192, awaitBothSides(pair, sent -> sent > afterWrites));
        assertEquals(8192.0, metric(rosaria, "drbd_peerdevice_sent_bytes" + PEER));
        assertEquals(8192.0, metric(paimon, "drbd_peerdevice_received_bytes" + FROM_PEER));
        assertEquals(8L, procDrbd(rosaria, "ns"));
        assertEquals(8L, procDrbd(paimon, "nr"));
        assertEquals((long) (afterWrites + 8192) / 1024, procDrbd(paimon, "dw"),
                "dw: KiB written on the Secondary's disk, across the reconnect");
    }

    /** Waits until rosaria's sent total passes {@code until} and paimon received all of it; returns it. */
    private static double awaitBothSides(LoopbackPair pair, DoublePredicate until)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        double sent = -1;
        double received = -2;
        while (Instant.now().isBefore(deadline)) {
            sent = metric(pair.rosaria, "tandem_peerdevice_sent_bytes_total" + PEER);
            received = metric(pair.paimon, "tandem_peerdevice_received_bytes_total" + FROM_PEER);
            if (until.test(sent) && sent == received) {
                return sent;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("rosaria sent " + sent + " bytes, paimon received " + received);
    }

    private static Map<String, PrometheusText.Sample> scrape(TandemNode node) {
        return PrometheusText.parse(given().baseUri("http://127.0.0.1").port(node.httpPort()).when()
                .get("/q/metrics").then().statusCode(200).extract().asString());
    }

    private static double metric(TandemNode node, String series) {
        return value(scrape(node), series);
    }

    private static double value(Map<String, PrometheusText.Sample> samples, String series) {
        PrometheusText.Sample sample = samples.get(series);
        if (sample == null) {
            throw new AssertionError("no series " + series + " among " + samples.keySet().stream()
                    .filter(k -> k.startsWith(series.split("\\{")[0])).toList());
        }
        return sample.value();
    }

    /** A counter of the resource's line in /proc/drbd, e.g. ns:8. */
    private static long procDrbd(TandemNode node, String counter) {
        String text = given().baseUri("http://127.0.0.1").port(node.httpPort()).when().get("/proc/drbd").then()
                .statusCode(200).extract().asString();
        Matcher matcher = Pattern.compile("\\b" + counter + ":(\\d+)").matcher(text);
        assertTrue(matcher.find(), counter + " in\n" + text);
        return Long.parseLong(matcher.group(1));
    }
}
