package uk.e42.tandem.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;
import uk.e42.tandem.node.Node;

/**
 * Started once the configuration is loaded and the resources and NBD exports exist (they are built
 * before HTTP serves): a Kubernetes startup probe can hold off liveness until then.
 */
@Startup
@ApplicationScoped
public class NodeStarted implements HealthCheck {
    private final Node node;

    public NodeStarted(Node node) {
        this.node = node;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("tandem-node").withData("node", node.name())
                .withData("resources", node.resourceNames().size()).up().build();
    }
}
