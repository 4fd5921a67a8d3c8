package uk.e42.tandem.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import uk.e42.tandem.admin.v1.MutinyAdminGrpc;
import uk.e42.tandem.admin.v1.PrimaryRequest;
import uk.e42.tandem.admin.v1.ProcDrbdRequest;
import uk.e42.tandem.admin.v1.ResourceRequest;
import uk.e42.tandem.admin.v1.StatusRequest;
import uk.e42.tandem.metrics.PrometheusText;

/**
 * Health, metrics and /proc/drbd over HTTP while a real Resource goes Diskless, then attached
 * Inconsistent, then Primary UpToDate after {@code primary --force}, all through the admin API.
 */
@QuarkusTest
@TestProfile(OneResourceProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OneResourceEndpointsTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ResourceRequest R0 = ResourceRequest.newBuilder().addResources("r0").build();

    @GrpcClient("admin")
    MutinyAdminGrpc.MutinyAdminStub admin;

    static JsonPath health(String kind, int status) {
        return given().when().get("/q/health/" + kind).then().statusCode(status).extract().jsonPath();
    }

    static Map<String, Object> check(JsonPath health, String name) {
        return health.getMap("checks.find { it.name == '" + name + "' }.data");
    }

    @Test
    @Order(1)
    void readyFollowsTheDiskFromDisklessToInconsistentToUpToDate() {
        JsonPath ready = health("ready", 503);
        assertEquals("DOWN", ready.getString("checks.find { it.name == 'resource r0' }.status"));
        assertEquals("not attached (disk:Diskless); tandem attach r0", check(ready, "resource r0").get("reason"));
        assertEquals(1, check(ready, "tandem-node").get("resources"));

        admin.attach(R0).await().atMost(WAIT);
        ready = health("ready", 503);
        Map<String, Object> data = check(ready, "resource r0");
        assertEquals("Secondary", data.get("role"));
        assertEquals("Inconsistent", data.get("disk"));
        assertEquals("DUnknown", data.get("peer-disk"));
        assertEquals("StandAlone", data.get("connection"));
        assertEquals("Off", data.get("replication"));
        assertEquals("no UpToDate data (disk:Inconsistent, replication:Off)", data.get("reason"));
        assertEquals(outOfSyncBytes(), ((Number) data.get("out-of-sync-bytes")).longValue());

        admin.primary(PrimaryRequest.newBuilder().addResources("r0").setForce(true).build()).await().atMost(WAIT);
        ready = health("ready", 200);
        assertEquals("UP", ready.getString("status"));
        data = check(ready, "resource r0");
        assertEquals("Primary", data.get("role"));
        assertEquals("UpToDate", data.get("disk"));
        assertEquals(null, data.get("reason"));
    }

    @Test
    @Order(2)
    void liveAndStartedAnswerWhileTheResourceExecutorRuns() {
        JsonPath live = health("live", 200);
        assertEquals("UP", live.getString("checks.find { it.name == 'resource r0' }.status"));
        assertEquals("Primary", check(live, "resource r0").get("role"));
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'tandem-node' }.data.resources", equalTo(1));
    }

    @Test
    @Order(3)
    void metricsUseDrbdReactorNamesAndFollowTheState() {
        String text = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        Map<String, PrometheusText.Sample> samples = PrometheusText.parse(text);
        assertEquals(1.0, value(samples, "drbd_resource_role{drbd_resource_role=Primary, name=r0}"));
        assertEquals(0.0, value(samples, "drbd_resource_role{drbd_resource_role=Secondary, name=r0}"));
        assertEquals(1.0, value(samples, "drbd_device_state{drbd_device_state=UpToDate, name=r0, volume=0}"));
        assertEquals(0.0, value(samples, "drbd_device_state{drbd_device_state=Inconsistent, name=r0, volume=0}"));
        assertEquals(1.0, value(samples,
                "drbd_connection_state{conn_name=faraway, drbd_connection_state=StandAlone, name=r0}"));
        assertEquals(1.0, value(samples, "drbd_resource_resources{}"));
        assertEquals((double) outOfSyncBytes(),
                value(samples, "drbd_peerdevice_outofsync_bytes{conn_name=faraway, name=r0, volume=0}"));
        double size = value(samples, "drbd_device_size_bytes{name=r0, volume=0}");
        assertTrue(size > 7 << 20 && size < 8 << 20, "size " + size);
        for (String counter : new String[] {"drbd_device_written_bytes_total", "drbd_device_read_bytes_total",
                "drbd_device_alwrites_total", "drbd_device_bmwrites_total"}) {
            PrometheusText.Sample sample = samples.get(counter + "{name=r0, volume=0}");
            assertEquals("counter", sample == null ? "missing " + counter : sample.type());
        }
        for (String gauge : new String[] {"drbd_peerdevice_sent_bytes", "drbd_peerdevice_received_bytes",
                "tandem_peerdevice_resync_rate_bytes_per_second"}) {
            assertEquals(0.0, value(samples, gauge + "{conn_name=faraway, name=r0, volume=0}"), gauge);
        }
        for (String counter : new String[] {"tandem_peerdevice_sent_bytes_total",
                "tandem_peerdevice_received_bytes_total"}) {
            PrometheusText.Sample sample = samples.get(counter + "{conn_name=faraway, name=r0, volume=0}");
            assertEquals("counter", sample == null ? "missing " + counter : sample.type());
            assertEquals(0.0, sample.value(), counter);
        }
        assertEquals(0.0, value(samples, "tandem_peerdevice_ack_latency_seconds_count{conn_name=faraway, name=r0,"
                + " protocol=C, volume=0}"), "never connected: no write was acknowledged");
        assertEquals("histogram", samples.get("tandem_peerdevice_ack_latency_seconds_count{conn_name=faraway, name=r0,"
                + " protocol=C, volume=0}").type());
        assertEquals(1.0, value(samples, "tandem_peerdevice_replication_state{conn_name=faraway, name=r0, "
                + "tandem_peerdevice_replication_state=Off, volume=0}"));
    }

    @Test
    @Order(4)
    void procDrbdOverHttpIsTheTextOfTandemProc() {
        String rpc = admin.procDrbd(ProcDrbdRequest.getDefaultInstance()).await().atMost(WAIT).getText();
        String http = given().when().get("/proc/drbd").then().statusCode(200)
                .contentType("text/plain; charset=utf-8").extract().asString();
        assertEquals(rpc, http);
        assertTrue(http.contains(" 0: cs:StandAlone ro:Primary/Unknown ds:UpToDate/DUnknown"), http);
    }

    long outOfSyncBytes() {
        return admin.status(StatusRequest.newBuilder().addResources("r0").build()).await().atMost(WAIT)
                .getResources(0).getPeers(0).getVolumes(0).getOutOfSyncKib() * 1024;
    }

    static double value(Map<String, PrometheusText.Sample> samples, String series) {
        PrometheusText.Sample sample = samples.get(series);
        if (sample == null) {
            throw new AssertionError("no series " + series + " among " + samples.keySet().stream()
                    .filter(k -> k.startsWith(series.split("\\{")[0])).toList());
        }
        return sample.value();
    }
}
