package uk.e42.tandem.meta;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a volume's meta data lives, as drbd.conf's {@code meta-disk} says it.
 * <ul>
 *   <li>{@link Internal}: at the end of the backing device, sized to it ({@code meta-disk internal}).</li>
 *   <li>{@link External}: a whole device of its own ({@code meta-disk /dev/x}; DRBD's flexible external).</li>
 *   <li>{@link Indexed}: slot {@code index} of 128 MiB on a shared device ({@code meta-disk /dev/x[0]}).</li>
 * </ul>
 */
public sealed interface MetaDisk {
    /** One indexed slot: MD_RESERVED_SECT_07 = 262144 sectors. */
    long INDEX_SLOT_BYTES = 128L << 20;
    int MAX_INDEX = 255;

    record Internal() implements MetaDisk {
        @Override
        public String toString() {
            return "internal";
        }
    }

    record External(Path device) implements MetaDisk {
        @Override
        public String toString() {
            return device.toString();
        }
    }

    record Indexed(Path device, int index) implements MetaDisk {
        public Indexed {
            if (index < 0 || index > MAX_INDEX) {
                throw new IllegalArgumentException("meta-disk " + device + "[" + index + "]: the index must be 0.."
                        + MAX_INDEX);
            }
        }

        @Override
        public String toString() {
            return device + "[" + index + "]";
        }
    }

    /** drbdmeta's name of the kind: {@code internal}, {@code flex-external} or the index number. */
    default String drbdmetaIndex() {
        return switch (this) {
            case Internal i -> "internal";
            case External e -> "flex-external";
            case Indexed x -> Integer.toString(x.index());
        };
    }

    /** The device holding the meta data: the backing device itself for internal meta data. */
    default Path device(Path backingDisk) {
        return switch (this) {
            case Internal i -> backingDisk;
            case External e -> e.device();
            case Indexed x -> x.device();
        };
    }

    /** Parses drbd.conf's value: {@code internal}, {@code /dev/x} or {@code /dev/x[N]}. */
    static MetaDisk parse(String text) {
        String t = text.trim();
        if (t.equals("internal")) {
            return new Internal();
        }
        Matcher m = Pattern.compile("(.+?)\\s*\\[\\s*(\\d+)\\s*]").matcher(t);
        if (m.matches()) {
            try {
                return new Indexed(Path.of(m.group(1)), Integer.parseInt(m.group(2)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("meta-disk " + t + ": the index must be 0.." + MAX_INDEX, e);
            }
        }
        if (t.isEmpty() || t.contains("[") || t.contains("]")) {
            throw new IllegalArgumentException("meta-disk '" + text
                    + "': expected 'internal', a device path, or a device path with an index such as /dev/vg/meta[0]");
        }
        return new External(Path.of(t));
    }
}
