package uk.e42.tandem.config;

import java.util.Optional;

/** Reads effective option values, falling back to DRBD 8.4's defaults from {@link OptionCatalog}. */
abstract class TypedOptions {
    private final Options options;

    TypedOptions(Options options) {
        this.options = options;
    }

    public Options options() {
        return options;
    }

    String text(String name) {
        return options.value(name).orElseGet(() -> OptionCatalog.find(name).orElseThrow().defaultValue());
    }

    Optional<String> optionalText(String name) {
        return Optional.ofNullable(text(name));
    }

    /** In the option's own unit (bytes, KiB, sectors, or tenths of a second as DRBD counts them). */
    long number(String name) {
        OptionSpec spec = OptionCatalog.find(name).orElseThrow();
        return Sizes.parse(text(name), spec.unit()).orElseThrow();
    }

    boolean flag(String name) {
        return text(name).equals("yes");
    }
}
