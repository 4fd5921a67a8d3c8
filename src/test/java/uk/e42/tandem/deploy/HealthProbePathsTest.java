package uk.e42.tandem.deploy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paths that k8s/daemonset.yaml probes (KubernetesManifestsTest ties the two together) are
 * served by the application: a wrong path would make Kubernetes restart a healthy node forever.
 */
@QuarkusTest
class HealthProbePathsTest {
    static final List<String> PATHS = List.of("/q/health/started", "/q/health/live", "/q/health/ready");

    @Test
    void everyProbedPathAnswersWithAHealthReport() {
        for (String path : PATHS) {
            // 503 is a real answer (not ready yet); 404 would mean the probe asks the wrong path.
            given().when().get(path).then()
                    .statusCode(anyOf(is(200), is(503)))
                    .body("status", anyOf(equalTo("UP"), equalTo("DOWN")))
                    .body("checks", notNullValue());
        }
    }
}
