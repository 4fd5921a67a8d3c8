package uk.e42.tandem.nbd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The exports a server offers, found by any of their names; the empty name picks the first. */
public final class NbdExports {
    private final List<NbdExport> exports;
    private final Map<String, NbdExport> byName = new LinkedHashMap<>();

    public NbdExports(List<NbdExport> exports) {
        this.exports = List.copyOf(exports);
        for (NbdExport export : this.exports) {
            for (String name : export.names()) {
                if (byName.putIfAbsent(name, export) != null) {
                    throw new IllegalArgumentException("two NBD exports are named '" + name + "'");
                }
            }
        }
    }

    public static NbdExports of(NbdExport... exports) {
        return new NbdExports(List.of(exports));
    }

    /** The export of this name; the empty name is the default export (the first one), as proto.md reserves it. */
    public Optional<NbdExport> find(String name) {
        if (name.isEmpty()) {
            return exports.stream().findFirst();
        }
        return Optional.ofNullable(byName.get(name));
    }

    /** Every name of every export, in order: what NBD_OPT_LIST answers. */
    public List<String> names() {
        return new ArrayList<>(byName.keySet());
    }

    public List<NbdExport> all() {
        return exports;
    }
}
