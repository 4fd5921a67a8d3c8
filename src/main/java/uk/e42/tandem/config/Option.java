package uk.e42.tandem.config;

import java.util.Objects;

/**
 * One {@code name value;} statement as drbdadm keeps it: flags already read as {@code yes}/{@code no}
 * (a bare {@code use-rle;} is {@code yes}, {@code no-disk-flushes;} is {@code disk-flushes no}),
 * numbers as written (suffixes kept, {@code 1M} stays {@code 1M}). {@code value} is {@code null}
 * only for the valueless {@code stacked-timeouts}.
 */
public record Option(String name, String value, SourcePosition at) {
    public Option {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(at, "at");
    }

    public boolean isBare() {
        return value == null;
    }
}
