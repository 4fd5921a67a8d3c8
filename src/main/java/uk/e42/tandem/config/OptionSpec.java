package uk.e42.tandem.config;

import java.util.List;

/**
 * What drbd.conf accepts for one option: its section, the kind of value, DRBD 8.4's default and,
 * for numbers, the unit a bare number is in and the range the kernel accepts.
 *
 * @param unit      '1' (plain), 'k' (KiB) or 's' (512-byte sectors), as in drbd_limits.h
 * @param inSyncer  also accepted in the 8.3 {@code syncer} section (mapped to {@code section})
 * @param drbd9     only DRBD 9 has it; using it makes the file DRBD 9 syntax
 */
public record OptionSpec(String name, Section section, Kind kind, char unit, long min, long max,
        List<String> choices, String defaultValue, boolean inSyncer, boolean drbd9) {

    public enum Kind { FLAG, NUMBER, CHOICE, TEXT, PROTOCOL }

    public OptionSpec {
        choices = List.copyOf(choices);
    }
}
