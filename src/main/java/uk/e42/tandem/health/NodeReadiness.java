package uk.e42.tandem.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import uk.e42.tandem.node.Node;

/**
 * The node as a whole: without resources (no drbd.conf yet) it has nothing to serve, which is
 * ready, and says why; the per-resource checks (ResourceHealthChecks) decide otherwise.
 */
@Readiness
@ApplicationScoped
public class NodeReadiness implements HealthCheck {
    private final Node node;

    public NodeReadiness(Node node) {
        this.node = node;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("tandem-node")
                .withData("node", node.name()).withData("resources", node.resourceNames().size());
        if (node.resourceNames().isEmpty()) {
            String problem = node.configProblem();
            response.withData("reason", "no resources to serve" + (problem.isEmpty() ? "" : ": " + problem));
        }
        return response.up().build();
    }
}
