package uk.e42.tandem.config;

import java.util.Optional;

/**
 * The {@code global { }} section. The cmd-timeouts hold drbdadm-84's starting values (5, 600, 0)
 * when not set.
 *
 * @param usageCount  {@code yes}, {@code no} or {@code ask}
 * @param minorCount  0 when not set
 */
public record GlobalConfig(String usageCount, int minorCount, int dialogRefresh, boolean disableIpVerification,
        boolean udevAlwaysUseVnr, int cmdTimeoutShort, int cmdTimeoutMedium, int cmdTimeoutLong,
        Optional<SourcePosition> at) {
    public static final GlobalConfig DEFAULT = new GlobalConfig("ask", 0, 1, false, false, 5, 600, 0,
            Optional.empty());
}
