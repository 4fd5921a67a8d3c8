package uk.e42.tandem.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every option drbd.conf knows, after DRBD 8.4's drbdadm scanner and {@code linux/drbd_limits.h}
 * (defaults and ranges), plus the few DRBD 9 names Tandem reads. Where drbdadm-84 leaves a number
 * unchecked the kernel's range is used, so a value the kernel would refuse at {@code up} is refused here.
 */
public final class OptionCatalog {
    private static final long MIB = 1 << 20;
    private static final Map<String, OptionSpec> SPECS = new LinkedHashMap<>();
    /** Old spellings drbdadm still reads, to today's name. */
    private static final Map<String, String> ALIASES = Map.of("rate", "resync-rate", "after", "resync-after",
            "outdate-peer", "fence-peer");
    /** Old {@code no-X;} flags, meaning {@code X no;}. */
    private static final List<String> NO_FLAGS = List.of("no-disk-barrier", "no-disk-flushes", "no-disk-drain",
            "no-md-flushes", "no-tcp-cork");

    static {
        Section d = Section.DISK;
        number("size", d, 's', 0, 2L << 40, "0", false);
        choice("on-io-error", d, "detach", false, "pass_on", "call-local-io-error", "detach");
        choice("fencing", d, "dont-care", false, "dont-care", "resource-only", "resource-and-stonith");
        number("max-bio-bvecs", d, '1', 0, 128, "0", false);
        number("disk-timeout", d, '1', 0, 6000, "0", false);
        choice("read-balancing", d, "prefer-local", false, "prefer-local", "prefer-remote", "round-robin",
                "least-pending", "when-congested-remote", "32K-striping", "64K-striping", "128K-striping",
                "256K-striping", "512K-striping", "1M-striping");
        flag("use-bmbv", d, "no", false);
        flag("disk-barrier", d, "no", false);
        flag("disk-flushes", d, "yes", false);
        flag("disk-drain", d, "yes", false);
        flag("md-flushes", d, "yes", false);
        flag("al-updates", d, "yes", false);
        flag("discard-zeroes-if-aligned", d, "yes", false);
        number("resync-rate", d, 'k', 1, 4 << 20, "250", true);
        text("resync-after", d, null, true);
        // the kernel clamps al-extents to 67..65534 instead of refusing, and drbdadm does not check it
        number("al-extents", d, '1', 0, Long.MAX_VALUE, "1237", true);
        number("c-plan-ahead", d, '1', 0, 300, "20", true);
        number("c-delay-target", d, '1', 1, 100, "10", true);
        number("c-fill-target", d, 's', 0, 1 << 20, "100", true);
        number("c-max-rate", d, 'k', 250, 4 << 20, "102400", true);
        number("c-min-rate", d, 'k', 0, 4 << 20, "250", true);

        Section n = Section.NET;
        number("timeout", n, '1', 1, 600, "60", false);
        put(new OptionSpec("protocol", n, OptionSpec.Kind.PROTOCOL, '1', 0, 0, List.of("A", "B", "C"), "C", false,
                false));
        number("ko-count", n, '1', 0, 200, "7", false);
        number("ping-int", n, '1', 1, 120, "10", false);
        number("max-buffers", n, '1', 32, 131072, "2048", false);
        number("sndbuf-size", n, '1', 0, 10 * MIB, "0", false);
        number("rcvbuf-size", n, '1', 0, 10 * MIB, "0", false);
        number("connect-int", n, '1', 1, 120, "10", false);
        text("cram-hmac-alg", n, null, false);
        text("shared-secret", n, null, false);
        number("max-epoch-size", n, '1', 1, 20000, "2048", false);
        choice("after-sb-0pri", n, "disconnect", false, "disconnect", "discard-younger-primary",
                "discard-older-primary", "discard-zero-changes", "discard-least-changes", "discard-local",
                "discard-remote");
        choice("after-sb-1pri", n, "disconnect", false, "disconnect", "consensus", "violently-as0p",
                "discard-secondary", "call-pri-lost-after-sb");
        choice("after-sb-2pri", n, "disconnect", false, "disconnect", "violently-as0p", "call-pri-lost-after-sb");
        choice("rr-conflict", n, "disconnect", false, "disconnect", "call-pri-lost", "violently");
        number("ping-timeout", n, '1', 1, 300, "5", false);
        number("unplug-watermark", n, '1', 1, 131072, "128", false);
        text("data-integrity-alg", n, null, false);
        choice("on-congestion", n, "block", false, "block", "pull-ahead", "disconnect");
        number("socket-check-timeout", n, '1', 0, 300, "0", false);
        number("congestion-fill", n, 's', 0, 10 << 21, "0", false);
        number("congestion-extents", n, '1', 67, 0xfffe, "1237", false);
        flag("allow-two-primaries", n, "no", false);
        flag("always-asbp", n, "no", false);
        flag("tcp-cork", n, "yes", false);
        flag("csums-after-crash-only", n, "no", false);
        flag("use-rle", n, "yes", true);
        text("verify-alg", n, null, true);
        text("csums-alg", n, null, true);

        Section o = Section.OPTIONS;
        text("cpu-mask", o, null, true);
        choice("on-no-data-accessible", o, "io-error", true, "io-error", "suspend-io");
        put(new OptionSpec("auto-promote", o, OptionSpec.Kind.FLAG, '1', 0, 0, List.of("yes", "no"), "yes", false,
                true));
        put(new OptionSpec("quorum", o, OptionSpec.Kind.TEXT, '1', 0, 0, List.of(), "off", false, true));
        put(new OptionSpec("on-no-quorum", o, OptionSpec.Kind.CHOICE, '1', 0, 0,
                List.of("io-error", "suspend-io"), "suspend-io", false, true));

        Section s = Section.STARTUP;
        number("wfc-timeout", s, '1', 0, 300000, "0", false);
        number("degr-wfc-timeout", s, '1', 0, 300000, "0", false);
        number("outdated-wfc-timeout", s, '1', 0, 300000, "0", false);
        flag("wait-after-sb", s, "no", false);

        for (String handler : List.of("pri-on-incon-degr", "pri-lost-after-sb", "pri-lost", "initial-split-brain",
                "split-brain", "fence-peer", "unfence-peer", "local-io-error", "before-resync-target",
                "after-resync-target", "before-resync-source", "out-of-sync")) {
            text(handler, Section.HANDLERS, null, false);
        }
    }

    private OptionCatalog() {
    }

    /** The option of this name (today's spelling), in whichever section it belongs. */
    public static Optional<OptionSpec> find(String name) {
        return Optional.ofNullable(SPECS.get(name));
    }

    /** {@code rate} → {@code resync-rate} and the like; other names unchanged. */
    static String canonical(String name) {
        return ALIASES.getOrDefault(name, name);
    }

    /** For {@code no-disk-flushes}: {@code disk-flushes}; otherwise empty. */
    static Optional<String> negatedFlag(String name) {
        return NO_FLAGS.contains(name) ? Optional.of(name.substring(3)) : Optional.empty();
    }

    static List<String> namesIn(Section section) {
        return SPECS.values().stream().filter(s -> s.section() == section && !s.drbd9()).map(OptionSpec::name)
                .toList();
    }

    /** The known option closest to a misspelt one, for hints. */
    static Optional<String> closest(String name) {
        List<String> all = new ArrayList<>(SPECS.keySet());
        all.addAll(ALIASES.keySet());
        return all.stream().filter(candidate -> distance(candidate, name) <= Math.max(2, name.length() / 4))
                .min(Comparator.comparingInt(candidate -> distance(candidate, name)));
    }

    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static void number(String name, Section section, char unit, long min, long max, String def,
            boolean inSyncer) {
        put(new OptionSpec(name, section, OptionSpec.Kind.NUMBER, unit, min, max, List.of(), def, inSyncer, false));
    }

    private static void flag(String name, Section section, String def, boolean inSyncer) {
        put(new OptionSpec(name, section, OptionSpec.Kind.FLAG, '1', 0, 0, List.of("yes", "no"), def, inSyncer,
                false));
    }

    private static void choice(String name, Section section, String def, boolean inSyncer, String... choices) {
        put(new OptionSpec(name, section, OptionSpec.Kind.CHOICE, '1', 0, 0, List.of(choices), def, inSyncer,
                false));
    }

    private static void text(String name, Section section, String def, boolean inSyncer) {
        put(new OptionSpec(name, section, OptionSpec.Kind.TEXT, '1', 0, 0, List.of(), def, inSyncer, false));
    }

    private static void put(OptionSpec spec) {
        SPECS.put(spec.name(), spec);
    }
}
