package uk.e42.tandem.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    @Test
    void readsFamiliesLabelsAndValues() {
        Map<String, PrometheusText.Sample> samples = PrometheusText.parse("""
                # HELP drbd_resource_role DRBD role of the resource
                # TYPE drbd_resource_role gauge
                drbd_resource_role{drbd_resource_role="Primary",name="r0"} 1.0
                drbd_resource_role{name="r0",drbd_resource_role="Secondary"} 0
                # TYPE drbd_device_written_bytes counter
                drbd_device_written_bytes_total{name="r\\"0\\\\"} 4096.0 1700000000000
                """);
        assertEquals(3, samples.size());
        PrometheusText.Sample primary = samples.get("drbd_resource_role{drbd_resource_role=Primary, name=r0}");
        assertEquals(1.0, primary.value());
        assertEquals("gauge", primary.type());
        PrometheusText.Sample written = samples.values().stream()
                .filter(s -> s.name().equals("drbd_device_written_bytes_total")).findFirst().orElseThrow();
        assertEquals("counter", written.type());
        assertEquals("r\\\"0\\\\", written.labels().get("name"));
    }

    @Test
    void refusesWhatPrometheusWouldRefuse() {
        for (String bad : new String[] {
                "x 1\n",
                "# TYPE x gauge\nx{a=\"1\" 1\n",
                "# TYPE x gauge\nx{a=1} 1\n",
                "# TYPE x gauge\nx one\n",
                "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",
                "# TYPE x gauge\n# TYPE x counter\n",
                "# TYPE x gauge\nx 1",
                "# TYPE 1x gauge\n"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("line") || e.getMessage().contains("newline"), e.getMessage());
        }
    }
}
