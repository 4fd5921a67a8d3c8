package uk.e42.tandem.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import uk.e42.tandem.node.Node;

/** Live while the node answers; carries who it is and whether its configuration loaded. */
@Liveness
@ApplicationScoped
public class NodeLiveness implements HealthCheck {
    private final Node node;

    public NodeLiveness(Node node) {
        this.node = node;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("tandem-node")
                .withData("node", node.name())
                .withData("config", node.settings().config().toString())
                .withData("resources", node.resourceNames().size())
                .up()
                .build();
    }
}
