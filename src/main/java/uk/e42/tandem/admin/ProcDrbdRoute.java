package uk.e42.tandem.admin;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import uk.e42.tandem.node.ResourceManager;

/**
 * {@code GET /proc/drbd} on the HTTP port: the same text as {@code tandem proc}, for monitoring
 * that scrapes DRBD 8.4's file. Rendering reads snapshots only, so it runs on the event loop.
 */
@ApplicationScoped
public class ProcDrbdRoute {
    private final ResourceManager manager;

    public ProcDrbdRoute(ResourceManager manager) {
        this.manager = manager;
    }

    void route(@Observes Router router) {
        router.get("/proc/drbd").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8")
                .end(ProcDrbdText.of(manager.all())));
    }
}
