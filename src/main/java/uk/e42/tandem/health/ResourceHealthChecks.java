package uk.e42.tandem.health;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.HealthRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import uk.e42.tandem.admin.StatusBuilder;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.node.ResourceManager;

/**
 * One liveness and one readiness check per configured resource, named {@code resource RES}: live
 * while the resource's executor answers, ready while it can serve its volume (ResourceHealth).
 */
@ApplicationScoped
public class ResourceHealthChecks {
    private final ResourceManager manager;
    private final HealthSettings settings;
    private final HealthRegistry liveness;
    private final HealthRegistry readiness;

    public ResourceHealthChecks(ResourceManager manager, HealthSettings settings,
            @Liveness HealthRegistry liveness, @Readiness HealthRegistry readiness) {
        this.manager = manager;
        this.settings = settings;
        this.liveness = liveness;
        this.readiness = readiness;
    }

    void register(@Observes StartupEvent start) {
        for (Resource resource : manager.all()) {
            String name = "resource " + resource.name();
            liveness.register(name, () -> {
                boolean answers = resource.answers(settings.executorTimeout());
                HealthCheckResponseBuilder response = withState(name, StatusBuilder.of(resource));
                if (!answers) {
                    response.withData("reason", "the resource's executor did not run a no-op within "
                            + settings.executorTimeout().toMillis() + " ms");
                }
                return response.status(answers).build();
            });
            readiness.register(name, () -> {
                ResourceStatus status = StatusBuilder.of(resource);
                Optional<String> why = ResourceHealth.notReady(status, settings.secondaryReadyWhenSyncing());
                HealthCheckResponseBuilder response = withState(name, status);
                why.ifPresent(reason -> response.withData("reason", reason));
                return response.status(why.isEmpty()).build();
            });
        }
    }

    private static HealthCheckResponseBuilder withState(String name, ResourceStatus status) {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(name);
        for (Map.Entry<String, Object> e : ResourceHealth.data(status).entrySet()) {
            if (e.getValue() instanceof Long l) {
                response.withData(e.getKey(), l);
            } else {
                response.withData(e.getKey(), e.getValue().toString());
            }
        }
        return response;
    }
}
