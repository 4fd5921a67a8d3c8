package uk.e42.tandem.config;

/**
 * The option sections a {@code common} or {@code resource} block may hold, after the 8.3 mapping
 * ({@code syncer} and a bare {@code protocol} already moved to where drbdadm-84 puts them).
 */
public record Sections(Options options, Options net, Options disk, Options startup, Options handlers) {
    public static final Sections EMPTY = new Sections(Options.EMPTY, Options.EMPTY, Options.EMPTY, Options.EMPTY,
            Options.EMPTY);

    /** {@code later} (a resource) overriding these (common), section by section. */
    public Sections then(Sections later) {
        return new Sections(options.then(later.options), net.then(later.net), disk.then(later.disk),
                startup.then(later.startup), handlers.then(later.handlers));
    }
}
