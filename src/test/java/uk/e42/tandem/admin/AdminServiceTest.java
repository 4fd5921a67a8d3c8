package uk.e42.tandem.admin;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.admin.v1.GetNodeRequest;
import uk.e42.tandem.admin.v1.MutinyAdminGrpc;
import uk.e42.tandem.admin.v1.NodeInfo;
import org.junit.jupiter.api.Assertions;

@QuarkusTest
class AdminServiceTest {

    @GrpcClient("admin")
    MutinyAdminGrpc.MutinyAdminStub admin;

    @Test
    void nodeInfoNamesTheNodeAndWhyItHasNoResources() {
        NodeInfo node = admin.getNode(GetNodeRequest.getDefaultInstance()).await().atMost(Duration.ofSeconds(10));
        assertEquals("testnode", node.getNodeName());
        assertTrue(node.getConfigProblem().contains("does not exist yet"), node.getConfigProblem());
        assertEquals(0, node.getResourcesCount());
    }

    @Test
    void aVerbOnAResourceNotInTheConfigurationIsRefusedInDrbdadmsWords() {
        StatusRuntimeException e = Assertions.assertThrows(StatusRuntimeException.class,
                () -> admin.resize(uk.e42.tandem.admin.v1.ResizeRequest.newBuilder().addResources("r0").build())
                        .await().atMost(Duration.ofSeconds(10)));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("'r0' not defined in your config (for this host 'testnode').", e.getStatus().getDescription());
    }

    @Test
    void healthEndpointsAnswer() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem("tandem-node"))
                .body("checks.find { it.name == 'tandem-node' }.data.node", equalTo("testnode"));
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'tandem-node' }.data.reason",
                        startsWith("no resources to serve: target/test-has-no-drbd.conf does not exist yet"));
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }
}
