package uk.e42.tandem.config;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Prints a {@link DrbdConfig} the way {@code drbdadm dump} does, byte for byte: drbdadm-84's layout
 * (device, disk and meta-disk pushed into every host section) for DRBD 8.4 files, DRBD 9's drbdadm
 * layout (resource-level volumes, {@code node-id}, connections) for files using DRBD 9 syntax.
 * Column widths, quoting and which defaults show follow drbdadm's printf formats.
 */
public final class ConfigDumper {
    private static final int INDENT = 4;
    private static final Pattern BARE = Pattern.compile("[a-zA-Z0-9/._-]+");
    /** In DRBD 9 these disk options belong to the peer device; drbdadm prints them after the others. */
    private static final Set<String> PEER_DEVICE_OPTIONS = Set.of("resync-rate", "c-plan-ahead", "c-delay-target",
            "c-fill-target", "c-max-rate", "c-min-rate", "bitmap");

    private final DrbdConfig config;
    private final NodeView node;
    private final boolean drbd9;
    private final StringBuilder out = new StringBuilder();
    private int indent;

    private ConfigDumper(DrbdConfig config, NodeView node) {
        this.config = config;
        this.node = node;
        this.drbd9 = config.dialect() == Dialect.DRBD9;
    }

    /** {@code drbdadm dump} (or {@code dump all}): the file name, global, common, every resource. */
    public static String dumpAll(DrbdConfig config, NodeView node) {
        ConfigDumper d = new ConfigDumper(config, node);
        d.out.append("# ").append(config.file()).append('\n');
        d.global();
        config.common().ifPresent(d::common);
        for (ResourceConfig r : config.resources()) {
            d.resource(r);
        }
        return d.out.toString();
    }

    /**
     * {@code drbdadm dump RES...}: only those resources, without file name, global or common.
     *
     * @throws ConfigException naming the first resource that is not defined for this node
     */
    public static String dumpResources(DrbdConfig config, NodeView node, List<String> names) {
        ConfigDumper d = new ConfigDumper(config, node);
        for (String name : names) {
            ResourceConfig r = config.resource(name).filter(node::takesPart).orElseThrow(() -> new ConfigException(
                    new SourcePosition(config.file(), 1, 1), "'" + name + "' not defined in your config (for this host)",
                    "defined resources: " + String.join(", ", config.resourceNames()) + "; this node is '"
                            + node.nodeName() + "' (tandem.node-name)"));
            d.resource(r);
        }
        return d.out.toString();
    }

    /** drbdadm's {@code esc()}: bare when only word characters, else quoted with '"' and '\' escaped. */
    static String esc(String value) {
        if (value.isEmpty()) {
            return "\"\"";
        }
        if (BARE.matcher(value).matches() && value.length() <= 80) {
            return value;
        }
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private void global() {
        GlobalConfig g = config.global();
        if (g.minorCount() == 0 && !g.disableIpVerification() && g.dialogRefresh() == 1
                && g.usageCount().equals("ask")) {
            return;
        }
        line("global {");
        indent++;
        if (g.disableIpVerification()) {
            line("disable-ip-verification;");
        }
        if (g.minorCount() != 0) {
            line("minor-count " + g.minorCount() + ";");
        }
        if (g.dialogRefresh() != 1) {
            line("dialog-refresh " + g.dialogRefresh() + ";");
        }
        if (!g.usageCount().equals("ask")) {
            line("usage-count " + g.usageCount() + ";");
        }
        if (!drbd9) {
            // drbdadm-84 compares with its documented defaults (5, 121, 600), not with the values it
            // starts from (5, 600, 0): so medium and long show unless set to those defaults
            if (g.cmdTimeoutShort() != 5) {
                line("cmd-timeout-short " + g.cmdTimeoutShort() + ";");
            }
            if (g.cmdTimeoutMedium() != 121) {
                line("cmd-timeout-medium " + g.cmdTimeoutMedium() + ";");
            }
            if (g.cmdTimeoutLong() != 600) {
                line("cmd-timeout-long " + g.cmdTimeoutLong() + ";");
            }
        }
        indent--;
        line("}");
        out.append('\n');
    }

    private void common(Sections s) {
        line("common {");
        indent++;
        sections(s, false);
        indent--;
        out.append("}\n\n");
    }

    private void resource(ResourceConfig r) {
        boolean ignored = !node.takesPart(r);
        line("# resource " + esc(r.name()) + " on " + node.nodeName() + ": " + (ignored ? "ignored" : "not ignored")
                + ", not stacked");
        line("# defined at " + r.at().file() + ":" + r.at().line());
        line("resource " + esc(r.name()) + " {");
        indent++;
        if (drbd9) {
            for (Volume v : r.volumes()) {
                volume(v);
            }
        }
        List<Integer> nodeIds = nodeIds(r);
        for (int i = 0; i < r.hosts().size(); i++) {
            host(r, r.hosts().get(i), nodeIds.get(i));
        }
        if (drbd9) {
            for (Connection c : r.connections()) {
                connection(c);
            }
            for (ConnectionMesh m : r.meshes()) {
                line("connection-mesh {");
                indent++;
                line("hosts " + String.join(" ", m.hosts()) + ";");
                section("net", m.net());
                indent--;
                line("}");
            }
        }
        sections(r.sections(), true);
        indent--;
        out.append("}\n\n");
    }

    /** DRBD 9 numbers the hosts of a two-host resource in file order when the file gives no node-id. */
    private List<Integer> nodeIds(ResourceConfig r) {
        return IntStream.range(0, r.hosts().size())
                .mapToObj(i -> r.hosts().get(i).nodeId().orElse(i)).toList();
    }

    private void host(ResourceConfig r, Host h, int nodeId) {
        if (h.floating()) {
            line("floating " + h.address() + " {");
        } else {
            line("on " + String.join(" ", h.names()) + " {");
        }
        indent++;
        if (drbd9) {
            line("node-id " + nodeId + ";");
        }
        section("options", h.options());
        for (Volume v : drbd9 ? h.volumes() : r.volumesOn(h)) {
            volume(v);
        }
        if (!h.floating()) {
            line(pad("address", 16) + " " + h.address() + ";");
        }
        indent--;
        line("}");
    }

    private void volume(Volume v) {
        if (!v.implicit()) {
            line("volume " + v.number() + " {");
            indent++;
        }
        section("disk", node.withoutForeignResyncAfter(v.diskOptions()));
        if (v.hasDevice()) {
            line(pad("device", 6 + Math.max(0, 19 - INDENT * indent)) + v.deviceText() + ";");
        }
        v.disk().ifPresent(disk -> option("disk", esc(disk)));
        v.metaDisk().ifPresent(md -> {
            switch (md) {
                case MetaDisk.Internal i -> option("meta-disk", "internal");
                case MetaDisk.Flexible f -> line(pad("meta-disk", 16) + " " + esc(f.path()) + ";");
                case MetaDisk.Indexed x -> line(pad("meta-disk", 16) + " " + esc(x.path()) + " [" + x.index() + "];");
            }
        });
        if (!v.implicit()) {
            indent--;
            line("}");
        }
    }

    private void connection(Connection c) {
        // drbdadm 9 ignores connection names ("explicitly named connections are deprecated")
        line("connection {");
        indent++;
        if (c.explicitPaths()) {
            for (List<Connection.Endpoint> path : c.paths()) {
                line("path {");
                indent++;
                endpoints(path);
                indent--;
                line("}");
            }
        } else {
            endpoints(c.paths().get(0));
        }
        section("net", c.net());
        section("disk", c.disk());
        indent--;
        line("}");
    }

    private void endpoints(List<Connection.Endpoint> path) {
        for (Connection.Endpoint e : path) {
            StringBuilder s = new StringBuilder("host " + e.host());
            if (e.address().isPresent()) {
                // drbdadm prints the address with its own indentation in the middle of the line
                s.append(" ".repeat(INDENT * indent)).append(pad(" address", 16)).append(' ')
                        .append(e.address().get());
            } else if (e.port().isPresent()) {
                s.append(" port ").append(e.port().get());
            }
            line(s + ";");
        }
    }

    private void sections(Sections s, boolean inResource) {
        section("options", s.options());
        section("net", s.net());
        Options disk = inResource ? node.withoutForeignResyncAfter(s.disk()) : s.disk();
        if (drbd9) {
            List<Option> own = disk.list().stream().filter(o -> !PEER_DEVICE_OPTIONS.contains(o.name())).toList();
            List<Option> peerDevice = disk.list().stream().filter(o -> PEER_DEVICE_OPTIONS.contains(o.name()))
                    .toList();
            section("disk", new Options(Stream.concat(own.stream(), peerDevice.stream()).toList()));
        } else {
            section("disk", disk);
        }
        section("startup", s.startup());
        section("handlers", s.handlers());
    }

    private void section(String name, Options options) {
        if (options.isEmpty()) {
            return;
        }
        line(name + " {");
        indent++;
        for (Option o : options.list()) {
            if (o.isBare()) {
                line(o.name() + ";");
            } else if (o.name().equals("become-primary-on")) {
                option(o.name(), o.value());
            } else {
                option(o.name(), esc(o.value()));
            }
        }
        indent--;
        line("}");
    }

    /** drbdadm's {@code printA}: name left-aligned in 24 minus the indentation, value right-aligned in 3. */
    private void option(String name, String value) {
        line(pad(name, 24 - INDENT * indent) + " " + (value.length() >= 3 ? value : " ".repeat(3 - value.length())
                + value) + ";");
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private void line(String s) {
        out.append(" ".repeat(INDENT * indent)).append(s).append('\n');
    }
}
