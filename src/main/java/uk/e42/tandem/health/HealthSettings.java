package uk.e42.tandem.health;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** {@code tandem.health.*}: what readiness and liveness ask of a resource. */
@ConfigMapping(prefix = "tandem.health")
public interface HealthSettings {

    /**
     * A Secondary that is still receiving its resync (SyncTarget, PausedSyncT) counts as ready;
     * off by default because its data is not yet a usable copy.
     */
    @WithDefault("false")
    boolean secondaryReadyWhenSyncing();

    /** How long a resource's executor may take to run a no-op before liveness reports it DOWN. */
    @WithDefault("5s")
    Duration executorTimeout();
}
