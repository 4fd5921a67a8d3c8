package uk.e42.tandem.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.FileSystems;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import uk.e42.tandem.config.Token.Kind;

/**
 * Reads drbd.conf (and what it includes) into a {@link DrbdConfig}: a hand-written lexer and
 * recursive descent over drbdadm-84's grammar, the 8.3 spellings mapped as drbdadm-84 maps them,
 * DRBD 9's {@code node-id}, {@code connection} and {@code connection-mesh} kept. The first problem
 * stops the parse with a {@link ConfigException} naming file, line and column.
 */
public final class ConfigParser {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(%[a-zA-Z0-9/._-]+)?");
    private static final Pattern RESOURCE_NAME = Pattern.compile("[a-zA-Z0-9._-]+");
    private static final String RESOURCE_KEYWORDS = "protocol, on, floating, device, disk, meta-disk, volume, "
            + "net, disk { }, syncer, startup, handlers, options, connection, connection-mesh";

    private final Set<Path> seenFiles = new HashSet<>();
    private final List<ResourceConfig> resources = new ArrayList<>();
    private final Map<String, SourcePosition> resourceNames = new HashMap<>();
    private GlobalConfig global = GlobalConfig.DEFAULT;
    private SectionsBuilder common;
    private SourcePosition firstDrbd9;
    private String firstDrbd9What;
    private SourcePosition firstSyncer;

    private ConfigParser() {
    }

    /** Reads and validates {@code file} and everything it includes. */
    public static DrbdConfig parse(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        return new ConfigParser().run(absolute, read(absolute, new SourcePosition(absolute, 1, 1)));
    }

    /** Parses {@code text} as if it were the contents of {@code file}; includes are read from disk. */
    public static DrbdConfig parse(Path file, String text) {
        return new ConfigParser().run(file.toAbsolutePath().normalize(), text);
    }

    private DrbdConfig run(Path file, String text) {
        markSeen(file);
        parseFile(file, text);
        if (firstDrbd9 != null && firstSyncer != null) {
            throw new ConfigException(firstSyncer, "the 8.3 'syncer' section cannot be combined with DRBD 9 syntax ('"
                    + firstDrbd9What + "' at " + firstDrbd9 + ")", "move rate to disk { resync-rate }, "
                    + "csums-alg/verify-alg/use-rle to net { } and al-extents/c-* to disk { }");
        }
        Dialect dialect = firstDrbd9 == null ? Dialect.DRBD84 : Dialect.DRBD9;
        new ConfigValidator(resources, dialect).validate();
        return new DrbdConfig(file, global, Optional.ofNullable(common).map(SectionsBuilder::build), resources,
                dialect);
    }

    private static String read(Path file, SourcePosition from) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(from, "cannot open " + file + ": no such file",
                    "check the path; include paths are relative to the including file's directory");
        } catch (IOException e) {
            throw new ConfigException(from, "cannot read " + file + ": " + e.getMessage(), "check the file's permissions");
        }
    }

    private boolean markSeen(Path file) {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            real = file;
        }
        return seenFiles.add(real);
    }

    private void parseFile(Path file, String text) {
        ConfigLexer lexer = new ConfigLexer(file, text);
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.EOF)) {
                return;
            }
            if (t.isKeyword("global")) {
                parseGlobal(lexer, t);
            } else if (t.isKeyword("common")) {
                if (common != null) {
                    throw new ConfigException(t.at(), "a second 'common' section", "merge it into the first one at "
                            + common.at);
                }
                expect(lexer, Kind.LBRACE, "'{' after 'common'");
                common = new SectionsBuilder(t.at());
                parseResourceBody(lexer, new ResourceBuilder("common", t.at(), common), true);
            } else if (t.isKeyword("resource")) {
                parseResource(lexer, t);
            } else if (t.isKeyword("skip")) {
                parseSkip(lexer, t);
            } else if (t.isKeyword("include")) {
                Token pattern = lexer.next();
                if (!pattern.isValue()) {
                    throw expected(pattern, "a file name or glob after 'include'", "include \"drbd.d/*.res\";");
                }
                expectSemicolon(lexer, "include " + pattern.text());
                include(file, pattern);
            } else {
                throw expected(t, "'global', 'common', 'resource', 'include' or 'skip'",
                        "at the top level drbd.conf holds only these sections");
            }
        }
    }

    private void include(Path including, Token pattern) {
        List<Path> files = expandGlob(including.getParent(), pattern.text());
        if (files.isEmpty() && !hasGlob(pattern.text())) {
            throw new ConfigException(pattern.at(), "cannot open include file '" + pattern.text() + "'",
                    "the path is relative to " + including.getParent() + "; check it exists");
        }
        for (Path f : files) {
            if (markSeen(f)) {
                parseFile(f, read(f, pattern.at()));
            }
        }
    }

    /** glob(3) as drbdadm uses it: sorted, a leading dot matched only explicitly, no match is no file. */
    static List<Path> expandGlob(Path dir, String pattern) {
        Path p = Path.of(pattern);
        List<Path> current = List.of(p.isAbsolute() ? p.getRoot() : dir);
        for (Path part : p) {
            String segment = part.toString();
            List<Path> next = new ArrayList<>();
            if (!hasGlob(segment)) {
                for (Path c : current) {
                    next.add(c.resolve(segment));
                }
            } else {
                PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + segment);
                for (Path c : current) {
                    if (!Files.isDirectory(c)) {
                        continue;
                    }
                    List<Path> found = new ArrayList<>();
                    try (DirectoryStream<Path> entries = Files.newDirectoryStream(c)) {
                        for (Path e : entries) {
                            String name = e.getFileName().toString();
                            if ((!name.startsWith(".") || segment.startsWith(".")) && matcher.matches(e.getFileName())) {
                                found.add(e);
                            }
                        }
                    } catch (IOException e) {
                        continue;
                    }
                    found.sort(null);
                    next.addAll(found);
                }
            }
            current = next;
        }
        return current.stream().map(Path::normalize).filter(Files::isRegularFile).toList();
    }

    private static boolean hasGlob(String s) {
        return s.contains("*") || s.contains("?") || s.contains("[");
    }

    private void parseSkip(ConfigLexer lexer, Token skip) {
        Token t = lexer.next();
        if (t.isValue()) {
            t = lexer.next();
        }
        if (!t.is(Kind.LBRACE)) {
            throw expected(t, "'{' after 'skip'", "skip [TEXT] { ... } comments out a block");
        }
        int depth = 1;
        while (depth > 0) {
            t = lexer.next();
            if (t.is(Kind.LBRACE)) {
                depth++;
            } else if (t.is(Kind.RBRACE)) {
                depth--;
            } else if (t.is(Kind.EOF)) {
                throw new ConfigException(skip.at(), "end of file inside this skip block", "close it with '}'");
            }
        }
    }

    private void parseGlobal(ConfigLexer lexer, Token keyword) {
        if (global.at().isPresent()) {
            throw new ConfigException(keyword.at(), "a second 'global' section", "merge it into the first one at "
                    + global.at().get());
        }
        expect(lexer, Kind.LBRACE, "'{' after 'global'");
        String usage = "ask";
        int minorCount = 0;
        int dialogRefresh = 1;
        boolean disableIpVerification = false;
        boolean udev = false;
        int[] timeouts = {5, 600, 0};
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.RBRACE)) {
                break;
            }
            String name = t.text();
            if (!t.is(Kind.WORD)) {
                throw expected(t, "a global option or '}'", "");
            }
            switch (name) {
                case "usage-count" -> {
                    Token v = lexer.next();
                    if (!(v.isKeyword("yes") || v.isKeyword("no") || v.isKeyword("ask"))) {
                        throw badValue(v, "usage-count", "write usage-count yes, no or ask");
                    }
                    usage = v.text();
                    expectSemicolon(lexer, "usage-count " + usage);
                }
                case "minor-count" -> {
                    minorCount = (int) globalNumber(lexer, name, 1, 255);
                }
                case "dialog-refresh" -> {
                    dialogRefresh = (int) globalNumber(lexer, name, 0, 600);
                }
                case "cmd-timeout-short", "cmd-timeout-medium", "cmd-timeout-long" -> {
                    int index = name.endsWith("short") ? 0 : name.endsWith("medium") ? 1 : 2;
                    timeouts[index] = (int) globalNumber(lexer, name, 0, 900);
                }
                case "disable-ip-verification" -> {
                    disableIpVerification = true;
                    expectSemicolon(lexer, name);
                }
                case "udev-always-use-vnr" -> {
                    udev = true;
                    expectSemicolon(lexer, name);
                }
                default -> throw unknown(t, "global", List.of("usage-count", "minor-count", "dialog-refresh",
                        "disable-ip-verification", "udev-always-use-vnr", "cmd-timeout-short", "cmd-timeout-medium",
                        "cmd-timeout-long"));
            }
        }
        global = new GlobalConfig(usage, minorCount, dialogRefresh, disableIpVerification, udev, timeouts[0],
                timeouts[1], timeouts[2], Optional.of(keyword.at()));
    }

    private long globalNumber(ConfigLexer lexer, String name, long min, long max) {
        Token v = lexer.next();
        if (!v.is(Kind.WORD) || !v.text().chars().allMatch(Character::isDigit)) {
            throw badValue(v, name, "write a whole number from " + min + " to " + max);
        }
        long n = Sizes.parse(v.text(), '1').orElse(Long.MAX_VALUE);
        if (n < min || n > max) {
            throw new ConfigException(v.at(), name + " " + v.text() + " is out of range [" + min + ".." + max + "]",
                    "write a whole number from " + min + " to " + max);
        }
        expectSemicolon(lexer, name + " " + v.text());
        return n;
    }

    private void parseResource(ConfigLexer lexer, Token keyword) {
        Token name = lexer.next();
        if (!name.isValue()) {
            throw expected(name, "a resource name after 'resource'", "resource r0 { ... }");
        }
        if (!RESOURCE_NAME.matcher(name.text()).matches() || name.text().equals("all")) {
            throw new ConfigException(name.at(), "'" + name.text() + "' is not a valid resource name",
                    "use letters, digits, '.', '_' and '-' ('all' is reserved for every resource)");
        }
        SourcePosition first = resourceNames.get(name.text());
        if (first != null) {
            throw new ConfigException(name.at(), "duplicate resource '" + name.text() + "'",
                    "resource names must be unique; it is already defined at " + first);
        }
        resourceNames.put(name.text(), name.at());
        Token brace = expect(lexer, Kind.LBRACE, "'{' after 'resource " + name.text() + "'");
        ResourceBuilder rb = new ResourceBuilder(name.text(), brace.at(), new SectionsBuilder(brace.at()));
        parseResourceBody(lexer, rb, false);
        resources.add(rb.build());
    }

    private void parseResourceBody(ConfigLexer lexer, ResourceBuilder rb, boolean isCommon) {
        String where = isCommon ? "common" : "resource " + rb.name;
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.RBRACE)) {
                return;
            }
            if (t.is(Kind.EOF)) {
                throw new ConfigException(t.at(), "end of file inside " + where + " (opened at " + rb.at + ")",
                        "close the section with '}'");
            }
            if (!t.is(Kind.WORD)) {
                throw expected(t, "a keyword or '}' in " + where, "one of: " + RESOURCE_KEYWORDS);
            }
            switch (t.text()) {
                case "protocol" -> {
                    rb.sections.once("protocol statement", t);
                    parseOptionValue(lexer, t, Section.NET, OptionCatalog.find("protocol").orElseThrow(),
                            rb.sections);
                }
                case "net" -> parseSection(lexer, t, Section.NET, rb.sections, where);
                case "startup" -> parseSection(lexer, t, Section.STARTUP, rb.sections, where);
                case "handlers" -> parseSection(lexer, t, Section.HANDLERS, rb.sections, where);
                case "options" -> parseSection(lexer, t, Section.OPTIONS, rb.sections, where);
                case "syncer" -> {
                    if (firstSyncer == null) {
                        firstSyncer = t.at();
                    }
                    parseSection(lexer, t, null, rb.sections, where);
                }
                case "disk" -> {
                    if (lexer.peek().is(Kind.LBRACE)) {
                        parseSection(lexer, t, Section.DISK, rb.sections, where);
                    } else {
                        noHostStatementIn(isCommon, t);
                        rb.beforeHosts(t);
                        rb.volume0(t).statement(lexer, t, this);
                    }
                }
                case "device", "meta-disk", "flexible-meta-disk" -> {
                    noHostStatementIn(isCommon, t);
                    rb.beforeHosts(t);
                    rb.volume0(t).statement(lexer, t, this);
                }
                case "volume" -> {
                    noHostStatementIn(isCommon, t);
                    rb.beforeHosts(t);
                    rb.addVolume(parseVolume(lexer, t));
                }
                case "on" -> {
                    noHostStatementIn(isCommon, t);
                    List<String> names = new ArrayList<>();
                    Token n = lexer.next();
                    while (n.isValue()) {
                        names.add(n.text());
                        n = lexer.next();
                    }
                    if (names.isEmpty() || !n.is(Kind.LBRACE)) {
                        throw expected(n, names.isEmpty() ? "a host name after 'on'" : "'{' after 'on "
                                + String.join(" ", names) + "'", "on HOSTNAME { address ...; }");
                    }
                    rb.addHost(parseHost(lexer, t, names, null, rb));
                }
                case "floating" -> {
                    noHostStatementIn(isCommon, t);
                    Address address = parseAddress(lexer, t);
                    Token n = lexer.next();
                    Host host;
                    if (n.is(Kind.SEMICOLON)) {
                        host = new Host(List.of(floatingName(address)), true, address, OptionalInt.empty(), List.of(),
                                Options.EMPTY, t.at());
                    } else if (n.is(Kind.LBRACE)) {
                        host = parseHost(lexer, t, List.of(floatingName(address)), address, rb);
                    } else {
                        throw expected(n, "'{' or ';' after 'floating " + address + "'", "");
                    }
                    rb.addHost(host);
                }
                case "connection" -> {
                    noHostStatementIn(isCommon, t);
                    drbd9(t, "connection");
                    rb.connections.add(parseConnection(lexer, t));
                }
                case "connection-mesh" -> {
                    noHostStatementIn(isCommon, t);
                    drbd9(t, "connection-mesh");
                    rb.meshes.add(parseMesh(lexer, t));
                }
                case "stacked-on-top-of", "proxy", "ignore-on", "_this_host", "_remote_host" ->
                    throw new ConfigException(t.at(), "'" + t.text() + "' is not supported by Tandem",
                            "Tandem replicates between two plain hosts; stacked resources and DRBD Proxy are out of scope");
                default -> throw unknown(t, where, List.of(RESOURCE_KEYWORDS.split(", ")));
            }
        }
    }

    private static String floatingName(Address a) {
        return a.isIpv6() ? "ipv6 " + a.hostPort() : a.hostPort();
    }

    private static void noHostStatementIn(boolean isCommon, Token t) {
        if (isCommon) {
            throw new ConfigException(t.at(), "'" + t.text() + "' is not allowed in the common section",
                    "common holds only options (net, disk, startup, handlers, options); put '" + t.text()
                            + "' in a resource");
        }
    }

    void drbd9(Token t, String what) {
        if (firstDrbd9 == null) {
            firstDrbd9 = t.at();
            firstDrbd9What = what;
        }
    }

    /** An options section; {@code section} null means the 8.3 syncer, whose options go where drbdadm-84 puts them. */
    private void parseSection(ConfigLexer lexer, Token keyword, Section section, SectionsBuilder into, String where) {
        into.once(keyword.text() + " section", keyword);
        expect(lexer, Kind.LBRACE, "'{' after '" + keyword.text() + "'");
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.RBRACE)) {
                return;
            }
            if (!t.is(Kind.WORD)) {
                throw expected(t, "an option name or '}' in the " + keyword.text() + " section of " + where, "");
            }
            parseOption(lexer, t, section, into);
        }
    }

    private void parseOption(ConfigLexer lexer, Token name, Section section, SectionsBuilder into) {
        String sectionName = section == null ? "syncer" : section.keyword();
        if (section == Section.STARTUP && name.text().equals("become-primary-on")) {
            List<String> hosts = new ArrayList<>();
            Token h = lexer.next();
            while (h.isValue()) {
                hosts.add(h.text());
                h = lexer.next();
            }
            if (hosts.isEmpty() || !h.is(Kind.SEMICOLON)) {
                throw expected(h, hosts.isEmpty() ? "a host name after 'become-primary-on'" : "';'",
                        "become-primary-on HOST [HOST...]; or become-primary-on both;");
            }
            into.becomePrimaryOn = new Option("become-primary-on", String.join(" ", hosts), name.at());
            return;
        }
        if (section == Section.STARTUP && name.text().equals("stacked-timeouts")) {
            expectSemicolon(lexer, "stacked-timeouts");
            into.stackedTimeouts = new Option("stacked-timeouts", null, name.at());
            return;
        }
        Optional<String> negated = OptionCatalog.negatedFlag(name.text());
        String canonical = negated.orElse(OptionCatalog.canonical(name.text()));
        Optional<OptionSpec> found = OptionCatalog.find(canonical);
        if (found.isEmpty()) {
            String hint = OptionCatalog.closest(name.text()).map(c -> "did you mean '" + c + "'?")
                    .orElse(section == null ? "" : "the " + sectionName + " options are: "
                            + String.join(", ", OptionCatalog.namesIn(section)));
            throw new ConfigException(name.at(), "unknown option '" + name.text() + "' in the " + sectionName
                    + " section", hint);
        }
        OptionSpec spec = found.get();
        if (section == null ? !spec.inSyncer() : spec.section() != section) {
            throw new ConfigException(name.at(), "'" + name.text() + "' is not a " + sectionName + " option",
                    "put it in the " + spec.section().keyword() + " section");
        }
        if (spec.drbd9()) {
            drbd9(name, name.text());
        }
        if (negated.isPresent()) {
            expectSemicolon(lexer, name.text());
            into.add(spec.section(), new Option(canonical, "no", name.at()));
            return;
        }
        parseOptionValue(lexer, name, spec.section(), spec, into);
    }

    private void parseOptionValue(ConfigLexer lexer, Token name, Section section, OptionSpec spec,
            SectionsBuilder into) {
        if (spec.kind() == OptionSpec.Kind.FLAG) {
            Token v = lexer.next();
            if (v.is(Kind.SEMICOLON)) {
                into.add(section, new Option(spec.name(), "yes", name.at()));
                return;
            }
            if (!(v.isKeyword("yes") || v.isKeyword("no"))) {
                throw expected(v, "yes, no or ';' after '" + name.text() + "'", "a flag is 'NAME;', 'NAME yes;' or "
                        + "'NAME no;'");
            }
            expectSemicolon(lexer, name.text() + " " + v.text());
            into.add(section, new Option(spec.name(), v.text(), name.at()));
            return;
        }
        Token v = lexer.next();
        if (!v.isValue()) {
            throw expected(v, "a value after '" + name.text() + "'", describeValue(spec));
        }
        String value = checkValue(spec, name.text(), v);
        expectSemicolon(lexer, name.text() + " " + v.text());
        into.add(section, new Option(spec.name(), value, name.at()));
    }

    private static String describeValue(OptionSpec spec) {
        return switch (spec.kind()) {
            case NUMBER -> "write a number" + (spec.unit() == '1' ? "" : " in " + Sizes.unitName(spec.unit()))
                    + ", optionally with a K, M, G or s suffix";
            case CHOICE, PROTOCOL -> "one of: " + String.join(", ", spec.choices());
            default -> "write the value, in double quotes if it holds spaces";
        };
    }

    /** The value as drbdadm keeps it (protocol upper-cased), after checking it is one the kernel accepts. */
    static String checkValue(OptionSpec spec, String written, Token v) {
        String text = v.text();
        switch (spec.kind()) {
            case PROTOCOL -> {
                String upper = text.toUpperCase(Locale.ROOT);
                if (!spec.choices().contains(upper)) {
                    throw badValue(v, written, "protocol is A (async), B (memory sync) or C (sync)");
                }
                return upper;
            }
            case CHOICE -> {
                if (!spec.choices().contains(text)) {
                    throw badValue(v, written, "one of: " + String.join(", ", spec.choices()));
                }
                return text;
            }
            case NUMBER -> {
                var n = Sizes.parse(text, spec.unit());
                if (n.isEmpty()) {
                    throw badValue(v, written, describeValue(spec));
                }
                if (n.getAsLong() < spec.min() || n.getAsLong() > spec.max()) {
                    String unit = Sizes.unitName(spec.unit());
                    String suffix = unit.isEmpty() ? "" : " " + unit;
                    throw new ConfigException(v.at(), written + " " + text + " is out of range: " + n.getAsLong()
                            + suffix + " is not in [" + spec.min() + ".." + spec.max() + "]" + suffix,
                            "DRBD accepts " + spec.min() + " to " + spec.max() + suffix + " for " + spec.name());
                }
                return text;
            }
            default -> {
                return text;
            }
        }
    }

    private Volume parseVolume(ConfigLexer lexer, Token keyword) {
        Token number = lexer.next();
        if (!number.is(Kind.WORD) || !number.text().chars().allMatch(Character::isDigit)
                || Sizes.parse(number.text(), '1').orElse(Long.MAX_VALUE) > 65535) {
            throw expected(number, "a volume number (0 to 65535) after 'volume'", "volume 0 { device ...; }");
        }
        expect(lexer, Kind.LBRACE, "'{' after 'volume " + number.text() + "'");
        VolumeBuilder vb = new VolumeBuilder(Integer.parseInt(number.text()), false, keyword.at());
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.RBRACE)) {
                return vb.build();
            }
            if (t.isKeyword("disk") && lexer.peek().is(Kind.LBRACE)) {
                parseSection(lexer, t, Section.DISK, vb.disk, "volume " + vb.number);
            } else if (t.is(Kind.WORD) && List.of("device", "disk", "meta-disk", "flexible-meta-disk")
                    .contains(t.text())) {
                vb.statement(lexer, t, this);
            } else {
                throw unknown(t, "volume " + vb.number, List.of("device", "disk", "meta-disk",
                        "flexible-meta-disk"));
            }
        }
    }

    private Host parseHost(ConfigLexer lexer, Token keyword, List<String> names, Address floating, ResourceBuilder rb) {
        String label = floating == null ? "on " + String.join(" ", names) : "floating " + floating;
        Address address = floating;
        OptionalInt nodeId = OptionalInt.empty();
        VolumeBuilder implicit = null;
        Map<Integer, Volume> explicit = new LinkedHashMap<>();
        SectionsBuilder options = new SectionsBuilder(keyword.at());
        Set<String> statements = new HashSet<>();
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.RBRACE)) {
                break;
            }
            if (!t.is(Kind.WORD)) {
                throw expected(t, "a keyword or '}' in " + label, "");
            }
            String kw = t.text().equals("flexible-meta-disk") ? "meta-disk" : t.text();
            if (List.of("address", "device", "disk", "meta-disk", "node-id").contains(kw) && !statements.add(kw)) {
                throw new ConfigException(t.at(), "a second '" + t.text() + "' in " + label + " of resource " + rb.name,
                        "each host section has one " + kw + " statement");
            }
            switch (t.text()) {
                case "address" -> {
                    if (floating != null) {
                        throw new ConfigException(t.at(), "'address' is not allowed in a floating section",
                                "the floating section's own address is the node's address");
                    }
                    address = parseAddress(lexer, t);
                    expectSemicolon(lexer, "address " + address);
                }
                case "device", "disk", "meta-disk", "flexible-meta-disk" -> {
                    if (!explicit.isEmpty()) {
                        throw mixed(t);
                    }
                    if (implicit == null) {
                        implicit = new VolumeBuilder(0, true, t.at());
                    }
                    implicit.statement(lexer, t, this);
                }
                case "volume" -> {
                    if (implicit != null) {
                        throw mixed(t);
                    }
                    Volume v = parseVolume(lexer, t);
                    if (explicit.put(v.number(), v) != null) {
                        throw new ConfigException(t.at(), "volume " + v.number() + " is defined twice in " + label,
                                "merge the two volume blocks");
                    }
                }
                case "options" -> parseSection(lexer, t, Section.OPTIONS, options, label);
                case "node-id" -> {
                    drbd9(t, "node-id");
                    Token n = lexer.next();
                    if (!n.is(Kind.WORD) || !n.text().chars().allMatch(Character::isDigit)
                            || Sizes.parse(n.text(), '1').orElse(Long.MAX_VALUE) > 31) {
                        throw badValue(n, "node-id", "a node-id is a number from 0 to 31");
                    }
                    nodeId = OptionalInt.of(Integer.parseInt(n.text()));
                    expectSemicolon(lexer, "node-id " + n.text());
                }
                case "proxy", "alternate-link-address" -> throw new ConfigException(t.at(), "'" + t.text()
                        + "' is not supported by Tandem", "remove it; Tandem connects the hosts' addresses directly");
                default -> throw unknown(t, label, List.of("address", "device", "disk", "meta-disk",
                        "volume", "options", "node-id"));
            }
        }
        if (address == null) {
            throw new ConfigException(keyword.at(), "in resource " + rb.name + ", " + label
                    + " { ... }: 'address' keyword missing", "add 'address IP:PORT;' (the address this host listens on)");
        }
        List<Volume> volumes = new ArrayList<>(explicit.values());
        if (implicit != null) {
            volumes.add(implicit.build());
        }
        volumes.sort(Comparator.comparingInt(Volume::number));
        return new Host(names, floating != null, address, nodeId, volumes, options.build().options(), keyword.at());
    }

    private static ConfigException mixed(Token t) {
        return new ConfigException(t.at(), "mixing explicit and implicit volumes is not allowed",
                "either put every device/disk/meta-disk in 'volume N { }' blocks or use none");
    }

    Address parseAddress(ConfigLexer lexer, Token keyword) {
        Token t = lexer.next();
        String family;
        Token host;
        if (t.isKeyword("ipv6")) {
            family = "ipv6";
            expect(lexer, Kind.LBRACKET, "'[' after 'ipv6' (ipv6 [ADDR]:PORT)");
            host = lexer.rawUntilBracket();
            if (!IPV6.matcher(host.text()).matches()) {
                throw new ConfigException(host.at(), "'" + host.text() + "' is not an IPv6 address",
                        "write ipv6 [fd00::1]:7789");
            }
            expect(lexer, Kind.RBRACKET, "']' after the IPv6 address");
        } else {
            if (t.isKeyword("ipv4") || t.isKeyword("ssocks") || t.isKeyword("sdp") || t.isKeyword("sci")) {
                family = t.text().equals("sci") ? "ssocks" : t.text();
                host = lexer.next();
            } else {
                family = "ipv4";
                host = t;
            }
            Matcher m = IPV4.matcher(host.text());
            if (!host.is(Kind.WORD) || !m.matches() || !octets(m)) {
                throw new ConfigException(host.at(), "expected an IP address after '" + keyword.text() + "', got "
                        + host.describe(), "write [ipv4] 192.168.56.1:7789 or ipv6 [fd00::1]:7789; host names are "
                                + "not resolved");
            }
        }
        expect(lexer, Kind.COLON, "':PORT' after the address");
        Token port = lexer.next();
        long p = port.is(Kind.WORD) && port.text().chars().allMatch(Character::isDigit)
                ? Sizes.parse(port.text(), '1').orElse(-1) : -1;
        if (p < 1 || p > 65535) {
            throw badValue(port, "port", "a port is a number from 1 to 65535");
        }
        return new Address(family, host.text(), (int) p, keyword.at());
    }

    private static boolean octets(Matcher m) {
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    private Connection parseConnection(ConfigLexer lexer, Token keyword) {
        Optional<String> name = Optional.empty();
        if (lexer.peek().isValue()) {
            name = Optional.of(lexer.next().text());
        }
        expect(lexer, Kind.LBRACE, "'{' after 'connection'");
        List<List<Connection.Endpoint>> paths = new ArrayList<>();
        List<Connection.Endpoint> direct = new ArrayList<>();
        SectionsBuilder sections = new SectionsBuilder(keyword.at());
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.RBRACE)) {
                break;
            }
            if (t.isKeyword("host")) {
                direct.add(parseEndpoint(lexer, t));
            } else if (t.isKeyword("path")) {
                expect(lexer, Kind.LBRACE, "'{' after 'path'");
                List<Connection.Endpoint> path = new ArrayList<>();
                Token h = lexer.next();
                while (h.isKeyword("host")) {
                    path.add(parseEndpoint(lexer, h));
                    h = lexer.next();
                }
                if (!h.is(Kind.RBRACE)) {
                    throw expected(h, "'host' or '}' in path", "path { host A address ...; host B address ...; }");
                }
                paths.add(path);
            } else if (t.isKeyword("net")) {
                parseSection(lexer, t, Section.NET, sections, "connection");
            } else if (t.isKeyword("disk")) {
                parseSection(lexer, t, Section.DISK, sections, "connection");
            } else {
                throw unknown(t, "connection", List.of("host", "path", "net", "disk"));
            }
        }
        if (!direct.isEmpty() && !paths.isEmpty()) {
            throw new ConfigException(keyword.at(), "a connection has either 'host' statements or 'path' blocks, not both",
                    "move the host statements into a path { } block");
        }
        boolean explicitPaths = !paths.isEmpty();
        if (!explicitPaths) {
            paths.add(direct);
        }
        Sections s = sections.build();
        return new Connection(name, paths, explicitPaths, s.net(), s.disk(), keyword.at());
    }

    private Connection.Endpoint parseEndpoint(ConfigLexer lexer, Token keyword) {
        Token host = lexer.next();
        if (!host.isValue()) {
            throw expected(host, "a host name after 'host'", "host NAME [address ADDR:PORT | port N];");
        }
        Optional<Address> address = Optional.empty();
        Optional<Integer> port = Optional.empty();
        Token t = lexer.next();
        if (t.isKeyword("address")) {
            address = Optional.of(parseAddress(lexer, t));
            t = lexer.next();
        } else if (t.isKeyword("port")) {
            Token p = lexer.next();
            long n = p.is(Kind.WORD) && p.text().chars().allMatch(Character::isDigit)
                    ? Sizes.parse(p.text(), '1').orElse(-1) : -1;
            if (n < 1 || n > 65535) {
                throw badValue(p, "port", "a port is a number from 1 to 65535");
            }
            port = Optional.of((int) n);
            t = lexer.next();
        }
        if (!t.is(Kind.SEMICOLON)) {
            throw expected(t, "';' after 'host " + host.text() + "'", "end each statement with ';'");
        }
        return new Connection.Endpoint(host.text(), address, port, keyword.at());
    }

    private ConnectionMesh parseMesh(ConfigLexer lexer, Token keyword) {
        expect(lexer, Kind.LBRACE, "'{' after 'connection-mesh'");
        List<String> hosts = new ArrayList<>();
        SectionsBuilder sections = new SectionsBuilder(keyword.at());
        while (true) {
            Token t = lexer.next();
            if (t.is(Kind.RBRACE)) {
                break;
            }
            if (t.isKeyword("hosts")) {
                Token h = lexer.next();
                while (h.isValue()) {
                    hosts.add(h.text());
                    h = lexer.next();
                }
                if (!h.is(Kind.SEMICOLON)) {
                    throw expected(h, "';' after the host names", "hosts A B C;");
                }
            } else if (t.isKeyword("net")) {
                parseSection(lexer, t, Section.NET, sections, "connection-mesh");
            } else {
                throw unknown(t, "connection-mesh", List.of("hosts", "net"));
            }
        }
        if (hosts.size() < 2) {
            throw new ConfigException(keyword.at(), "a connection-mesh needs at least two hosts",
                    "connection-mesh { hosts A B C; }");
        }
        return new ConnectionMesh(hosts, sections.build().net(), keyword.at());
    }

    // ---- small helpers for errors

    static Token expect(ConfigLexer lexer, Kind kind, String what) {
        Token t = lexer.next();
        if (!t.is(kind)) {
            throw expected(t, what, "");
        }
        return t;
    }

    static void expectSemicolon(ConfigLexer lexer, String statement) {
        Token t = lexer.next();
        if (!t.is(Kind.SEMICOLON)) {
            throw new ConfigException(t.at(), "expected ';' after '" + statement + "', got " + t.describe(),
                    "end each statement with ';'");
        }
    }

    static ConfigException expected(Token got, String what, String hint) {
        return new ConfigException(got.at(), "expected " + what + ", got " + got.describe(), hint);
    }

    static ConfigException badValue(Token v, String option, String hint) {
        return new ConfigException(v.at(), "bad value " + v.describe() + " for " + option, hint);
    }

    private static ConfigException unknown(Token t, String where, List<String> known) {
        String problem = "unknown keyword '" + t.text() + "' in " + where;
        Optional<String> close = known.stream().filter(k -> OptionCatalog.distance(k, t.text()) <= 2).findFirst();
        if (close.isPresent()) {
            return new ConfigException(t.at(), problem, "did you mean '" + close.get() + "'?");
        }
        Optional<String> option = OptionCatalog.find(OptionCatalog.canonical(t.text())).map(s -> "'" + t.text()
                + "' is an option: put it in a " + s.section().keyword() + " { } section");
        return new ConfigException(t.at(), problem, option.orElse("expected one of: " + String.join(", ", known)));
    }

    // ---- builders

    /** Option lists per section, in source order, plus the once-only checks drbdadm makes per resource. */
    static final class SectionsBuilder {
        final SourcePosition at;
        final Map<Section, List<Option>> lists = new EnumMap<>(Section.class);
        final Map<String, SourcePosition> once = new HashMap<>();
        Option becomePrimaryOn;
        Option stackedTimeouts;

        SectionsBuilder(SourcePosition at) {
            this.at = at;
        }

        void once(String what, Token t) {
            SourcePosition first = once.putIfAbsent(what, t.at());
            if (first != null) {
                throw new ConfigException(t.at(), "a second " + what + " in the same section",
                        "merge it into the first one at " + first);
            }
        }

        void add(Section section, Option option) {
            lists.computeIfAbsent(section, s -> new ArrayList<>()).add(option);
        }

        Sections build() {
            List<Option> startup = new ArrayList<>(lists.getOrDefault(Section.STARTUP, List.of()));
            // drbdadm appends these two when it prints, whatever their place in the file
            if (stackedTimeouts != null) {
                startup.add(stackedTimeouts);
            }
            if (becomePrimaryOn != null) {
                startup.add(becomePrimaryOn);
            }
            return new Sections(options(Section.OPTIONS), options(Section.NET), options(Section.DISK),
                    new Options(startup), options(Section.HANDLERS));
        }

        private Options options(Section s) {
            return new Options(lists.getOrDefault(s, List.of()));
        }
    }

    /** device / disk / meta-disk statements of one volume. */
    static final class VolumeBuilder {
        final int number;
        final boolean implicit;
        final SourcePosition at;
        final SectionsBuilder disk;
        final Set<String> seen = new HashSet<>();
        String devicePath;
        int minor = -1;
        String diskPath;
        MetaDisk metaDisk;

        VolumeBuilder(int number, boolean implicit, SourcePosition at) {
            this.number = number;
            this.implicit = implicit;
            this.at = at;
            this.disk = new SectionsBuilder(at);
        }

        void statement(ConfigLexer lexer, Token keyword, ConfigParser parser) {
            String kw = keyword.text().equals("flexible-meta-disk") ? "meta-disk" : keyword.text();
            if (!seen.add(kw)) {
                throw new ConfigException(keyword.at(), "a second '" + keyword.text() + "' for volume " + number,
                        "each volume has one " + kw);
            }
            switch (keyword.text()) {
                case "device" -> device(lexer, keyword);
                case "disk" -> {
                    Token v = lexer.next();
                    if (!v.isValue()) {
                        throw expected(v, "a device path after 'disk'", "disk /dev/vg/lv; (or 'disk none;')");
                    }
                    diskPath = v.text();
                    expectSemicolon(lexer, "disk " + v.text());
                }
                case "meta-disk" -> {
                    Token v = lexer.next();
                    if (!v.isValue()) {
                        throw expected(v, "'internal' or a device after 'meta-disk'",
                                "meta-disk internal; or meta-disk /dev/vg/meta; or meta-disk /dev/vg/meta[0];");
                    }
                    if (v.text().equals("internal")) {
                        metaDisk = new MetaDisk.Internal();
                        expectSemicolon(lexer, "meta-disk internal");
                        return;
                    }
                    Token n = lexer.next();
                    if (n.is(Kind.SEMICOLON)) {
                        metaDisk = new MetaDisk.Flexible(v.text());
                        return;
                    }
                    if (!n.is(Kind.LBRACKET)) {
                        throw new ConfigException(n.at(), "expected '[INDEX]' or ';' after 'meta-disk " + v.text()
                                + "', got " + n.describe(), "meta-disk " + v.text() + "[0]; uses 128 MiB slot 0");
                    }
                    Token idx = lexer.next();
                    if (!idx.is(Kind.WORD) || !idx.text().chars().allMatch(Character::isDigit)
                            || idx.text().length() > 9) {
                        throw badValue(idx, "the meta-disk index", "an index is a number: meta-disk PATH[0];");
                    }
                    expect(lexer, Kind.RBRACKET, "']' after the meta-disk index");
                    metaDisk = new MetaDisk.Indexed(v.text(), Integer.parseInt(idx.text()));
                    expectSemicolon(lexer, "meta-disk " + v.text() + "[" + idx.text() + "]");
                }
                case "flexible-meta-disk" -> {
                    Token v = lexer.next();
                    if (!v.isValue()) {
                        throw expected(v, "a device after 'flexible-meta-disk'", "flexible-meta-disk /dev/vg/meta;");
                    }
                    metaDisk = v.text().equals("internal") ? new MetaDisk.Internal() : new MetaDisk.Flexible(v.text());
                    expectSemicolon(lexer, "flexible-meta-disk " + v.text());
                }
                default -> throw new IllegalArgumentException(keyword.text());
            }
        }

        private void device(ConfigLexer lexer, Token keyword) {
            Token t = lexer.next();
            if (t.isValue() && !t.isKeyword("minor")) {
                String path = t.text().startsWith("drbd") ? "/dev/" + t.text() : t.text();
                if (!path.startsWith("/dev/drbd")) {
                    throw new ConfigException(t.at(), "device name must start with /dev/drbd, got '" + t.text() + "'",
                            "write device /dev/drbdN; or device minor N;");
                }
                devicePath = path;
                t = lexer.next();
                String digits = path.substring("/dev/drbd".length());
                boolean numbered = !digits.isEmpty() && digits.chars().allMatch(Character::isDigit) && digits.length() < 8;
                if (t.is(Kind.SEMICOLON)) {
                    if (!numbered) {
                        throw new ConfigException(keyword.at(), "no minor given and '" + path
                                + "' does not contain one", "write device " + path + " minor N;");
                    }
                    minor = Integer.parseInt(digits);
                    return;
                }
                if (!t.isKeyword("minor")) {
                    throw new ConfigException(t.at(), "expected 'minor' or ';' after 'device " + path + "', got "
                            + t.describe(), "end each statement with ';'");
                }
                minor = minorNumber(lexer);
                if (numbered && Integer.parseInt(digits) != minor) {
                    throw new ConfigException(keyword.at(), "explicit minor " + minor + " does not match device "
                            + path, "write device /dev/drbd" + minor + " minor " + minor
                                    + "; or leave off the name or the minor");
                }
                if (!numbered && !digits.startsWith("_")) {
                    throw new ConfigException(keyword.at(), "explicit device names should be of the form "
                            + "/dev/drbd<minor>", "arbitrary device names must start with /dev/drbd_");
                }
                return;
            }
            if (!t.isKeyword("minor")) {
                throw expected(t, "a device path or 'minor' after 'device'", "device /dev/drbd0; or device minor 0;");
            }
            minor = minorNumber(lexer);
        }

        private static int minorNumber(ConfigLexer lexer) {
            Token n = lexer.next();
            if (!n.is(Kind.WORD) || !n.text().chars().allMatch(Character::isDigit)
                    || Sizes.parse(n.text(), '1').orElse(Long.MAX_VALUE) > (1 << 20) - 1) {
                throw badValue(n, "minor", "a minor is a number from 0 to 1048575");
            }
            int minor = Integer.parseInt(n.text());
            expectSemicolon(lexer, "minor " + minor);
            return minor;
        }

        Volume build() {
            return new Volume(number, implicit, Optional.ofNullable(devicePath), minor, Optional.ofNullable(diskPath),
                    Optional.ofNullable(metaDisk), disk.build().disk(), at);
        }
    }

    /** One resource (or common) while it is parsed. */
    static final class ResourceBuilder {
        final String name;
        final SourcePosition at;
        final SectionsBuilder sections;
        final List<Host> hosts = new ArrayList<>();
        final List<Volume> volumes = new ArrayList<>();
        final List<Connection> connections = new ArrayList<>();
        final List<ConnectionMesh> meshes = new ArrayList<>();
        VolumeBuilder implicit;

        ResourceBuilder(String name, SourcePosition at, SectionsBuilder sections) {
            this.name = name;
            this.at = at;
            this.sections = sections;
        }

        void beforeHosts(Token t) {
            if (!hosts.isEmpty()) {
                throw new ConfigException(t.at(), "'" + t.text() + "' after the host sections of resource " + name,
                        "move device, disk, meta-disk and volume statements above the first 'on' section "
                                + "(drbdadm does not apply them to hosts defined before them)");
            }
        }

        VolumeBuilder volume0(Token t) {
            if (!volumes.isEmpty()) {
                throw mixed(t);
            }
            if (implicit == null) {
                implicit = new VolumeBuilder(0, true, t.at());
            }
            return implicit;
        }

        void addVolume(Volume v) {
            if (implicit != null) {
                throw new ConfigException(v.at(), "mixing explicit and implicit volumes is not allowed",
                        "either put every device/disk/meta-disk in 'volume N { }' blocks or use none");
            }
            if (volumes.stream().anyMatch(o -> o.number() == v.number())) {
                throw new ConfigException(v.at(), "volume " + v.number() + " is defined twice in resource " + name,
                        "merge the two volume blocks");
            }
            volumes.add(v);
        }

        void addHost(Host host) {
            for (Host other : hosts) {
                for (String n : host.names()) {
                    if (other.names().contains(n)) {
                        throw new ConfigException(host.at(), "a second host section for '" + n + "' in resource "
                                + name, "the first is at " + other.at() + "; each host appears once per resource");
                    }
                }
            }
            hosts.add(host);
        }

        ResourceConfig build() {
            List<Volume> all = new ArrayList<>(volumes);
            if (implicit != null) {
                all.add(implicit.build());
            }
            all.sort(Comparator.comparingInt(Volume::number));
            return new ResourceConfig(name, at, hosts, all, sections.build(), connections, meshes);
        }
    }
}
