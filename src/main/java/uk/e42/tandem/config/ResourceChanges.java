package uk.e42.tandem.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What {@code drbdadm adjust} finds between a running resource and the configuration file, as lines
 * like {@code protocol C -> A}. Net and disk option changes can be applied to the running resource;
 * changes of its devices, addresses or peer (and of {@code disk { size }}, which {@code resize} sets)
 * cannot be, without taking it down.
 *
 * @param structural changes that need {@code down} and {@code up}
 * @param net        net option changes ({@code protocol}, {@code verify-alg}, timeouts, ...)
 * @param disk       disk option changes ({@code resync-rate}, {@code c-*}, {@code fencing}, ...)
 */
public record ResourceChanges(List<String> structural, List<String> net, List<String> disk) {
    public ResourceChanges {
        structural = List.copyOf(structural);
        net = List.copyOf(net);
        disk = List.copyOf(disk);
    }

    public boolean isEmpty() {
        return structural.isEmpty() && net.isEmpty() && disk.isEmpty();
    }

    public static ResourceChanges between(ResolvedResource running, ResolvedResource wanted) {
        List<String> structural = new ArrayList<>();
        compare(structural, "address", running.address().hostPort(), wanted.address().hostPort());
        compare(structural, "peer", running.peer().map(Host::nodeName).orElse("(none)"),
                wanted.peer().map(Host::nodeName).orElse("(none)"));
        compare(structural, "peer address", running.peer().map(h -> h.address().hostPort()).orElse("(none)"),
                wanted.peer().map(h -> h.address().hostPort()).orElse("(none)"));
        compare(structural, "volumes", Integer.toString(running.volumes().size()),
                Integer.toString(wanted.volumes().size()));
        List<String> disk = new ArrayList<>();
        for (int i = 0; i < Math.min(running.volumes().size(), wanted.volumes().size()); i++) {
            ResolvedVolume was = running.volumes().get(i);
            ResolvedVolume is = wanted.volumes().get(i);
            compare(structural, "device", was.device(), is.device());
            compare(structural, "disk", was.disk(), is.disk());
            compare(structural, "meta-disk", was.metaDisk().toString(), is.metaDisk().toString());
            for (String line : options(was.diskOptions().options(), is.diskOptions().options())) {
                (line.startsWith("size ") ? structural : disk).add(line);
            }
        }
        return new ResourceChanges(structural, options(running.net().options(), wanted.net().options()), disk);
    }

    private static void compare(List<String> changes, String what, String was, String is) {
        if (!was.equals(is)) {
            changes.add(what + " " + was + " -> " + is);
        }
    }

    /** Every option whose effective value differs (an option removed falls back to DRBD's default). */
    private static List<String> options(Options was, Options is) {
        TreeSet<String> names = new TreeSet<>();
        was.list().forEach(o -> names.add(o.name()));
        is.list().forEach(o -> names.add(o.name()));
        List<String> changes = new ArrayList<>();
        for (String name : names) {
            String before = effective(was, name);
            String after = effective(is, name);
            if (!before.equals(after)) {
                // Never print a secret into logs or replies.
                changes.add(name.equals("shared-secret") ? "shared-secret changed" : name + " " + before + " -> "
                        + after);
            }
        }
        return changes;
    }

    private static String effective(Options options, String name) {
        Optional<String> value = options.value(name);
        if (value.isPresent()) {
            return value.get();
        }
        return OptionCatalog.find(name).map(OptionSpec::defaultValue).filter(v -> v != null).orElse("(unset)");
    }
}
