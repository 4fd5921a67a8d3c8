package uk.e42.tandem.cli;

import io.quarkus.runtime.Quarkus;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import uk.e42.tandem.admin.StatusJson;
import uk.e42.tandem.admin.Versions;
import uk.e42.tandem.admin.v1.AdminGrpc.AdminBlockingStub;
import uk.e42.tandem.admin.v1.ConnectRequest;
import uk.e42.tandem.admin.v1.Events2Request;
import uk.e42.tandem.admin.v1.ProcDrbdRequest;
import uk.e42.tandem.admin.v1.NewCurrentUuidRequest;
import uk.e42.tandem.admin.v1.PrimaryRequest;
import uk.e42.tandem.admin.v1.ResizeRequest;
import uk.e42.tandem.admin.v1.ResourceRequest;
import uk.e42.tandem.admin.v1.StatusReply;
import uk.e42.tandem.admin.v1.StatusRequest;
import uk.e42.tandem.admin.v1.VerbReply;
import uk.e42.tandem.admin.v1.VerifyRequest;
import uk.e42.tandem.config.ConfigDumper;
import uk.e42.tandem.config.ConfigException;
import uk.e42.tandem.config.ConfigParser;
import uk.e42.tandem.config.DrbdConfig;
import uk.e42.tandem.config.NodeView;
import uk.e42.tandem.config.ResolvedVolume;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.meta.LastKnownBackingDevice;
import uk.e42.tandem.meta.LastKnownBackingDevices;
import uk.e42.tandem.meta.MetaDataDump;
import uk.e42.tandem.meta.MetaDataTool;
import uk.e42.tandem.meta.MetaLayout;
import uk.e42.tandem.node.HostPort;
import uk.e42.tandem.node.NodeLinkSecurity;
import uk.e42.tandem.node.Node;
import uk.e42.tandem.node.NodeDaemon;
import uk.e42.tandem.node.TandemConfig;
import uk.e42.tandem.tunnel.AdminCertificate;
import uk.e42.tandem.tunnel.StaticKey;
import uk.e42.tandem.tunnel.TlsMode;

/** {@code tandem}: drbdadm's verbs for Tandem, plus {@code daemon} and {@code genkey}. */
@Command(name = "tandem", mixinStandardHelpOptions = true, versionProvider = TandemCommand.Version.class,
        usageHelpAutoWidth = true, sortOptions = false,
        synopsisSubcommandLabel = "COMMAND",
        description = {
            "User-space block replication with DRBD's semantics.",
            "Usage as drbdadm: tandem [OPTION...] COMMAND [OPTION...] {all|RESOURCE...}",
            "Options for a command may also come before it after '--', as with drbdadm:",
            "  tandem -- --overwrite-data-of-peer primary r0"},
        footer = {"", "Settings (Quarkus config, also as env vars): tandem.config (TANDEM_CONFIG),",
            "tandem.admin.address (TANDEM_ADMIN_ADDRESS), tandem.node-name (TANDEM_NODE_NAME),",
            "tandem.state-dir (TANDEM_STATE_DIR)."},
        subcommands = CommandLine.HelpCommand.class)
public final class TandemCommand {
    private static final String RESOURCES = "{all|RESOURCE...}";

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config-file"}, paramLabel = "FILE",
            description = "drbd.conf to read (default: tandem.config, else /etc/drbd.conf)")
    Path configFile;

    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new TandemCommand());
        int code = cli.execute(DrbdadmArgs.normalize(args));
        // Verbs print through picocli's writers; what they hold must be out before System.exit.
        cli.getOut().flush();
        cli.getErr().flush();
        return code;
    }

    @Command(name = "daemon", description = "Run this node's Tandem service until stopped (SIGTERM).")
    int daemon() {
        if (configFile != null) {
            System.setProperty("tandem.config", configFile.toString());
        }
        Quarkus.run(NodeDaemon.class);
        return ExitCodes.OK;
    }

    @Command(name = "status", description = "Show the state of resources, as drbdadm status does.")
    int status(@Option(names = {"-v", "--verbose"}) boolean verbose,
            @Option(names = {"-s", "--statistics"}) boolean statistics,
            @Option(names = "--json", description = "The admin API's ResourceStatus list as JSON.") boolean json,
            @Parameters(paramLabel = RESOURCES, arity = "0..*") List<String> resources) {
        return remote("status", s -> s.status(StatusRequest.newBuilder().addAllResources(orAll(resources))
                .setVerbose(verbose).setStatistics(statistics).build()),
                json ? r -> StatusJson.render(r.getResourcesList()) : this::renderStatus);
    }

    @Command(name = "up", description = "Attach the backing device and connect to the peer.")
    int up(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("up", s -> s.up(request(resources)));
    }

    @Command(name = "down", description = "Disconnect and detach; the resource is then unconfigured.")
    int down(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("down", s -> s.down(request(resources)));
    }

    @Command(name = "attach", description = "Attach the backing (lower-level) device and its meta data.")
    int attach(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("attach", s -> s.attach(request(resources)));
    }

    @Command(name = "detach", description = "Detach the backing device; the node becomes Diskless.")
    int detach(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("detach", s -> s.detach(request(resources)));
    }

    @Command(name = "connect", description = "Start connecting to the peer.")
    int connect(@Option(names = "--discard-my-data",
            description = "After split brain: this node is the victim; its changes are discarded.")
            boolean discardMyData,
            @Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("connect", s -> s.connect(ConnectRequest.newBuilder().addAllResources(resources)
                .setDiscardMyData(discardMyData).build()));
    }

    @Command(name = "disconnect", description = "Drop the connection; the resource becomes StandAlone.")
    int disconnect(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("disconnect", s -> s.disconnect(request(resources)));
    }

    @Command(name = "primary", description = "Promote to the Primary role.")
    int primary(@Option(names = {"--force", "--overwrite-data-of-peer"},
            description = "Become Primary even without UpToDate data; this data wins the next sync.")
            boolean force,
            @Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("primary", s -> s.primary(PrimaryRequest.newBuilder().addAllResources(resources)
                .setForce(force).build()));
    }

    @Command(name = "secondary", description = "Demote to the Secondary role.")
    int secondary(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("secondary", s -> s.secondary(request(resources)));
    }

    @Command(name = "new-current-uuid", description = "Start a new data generation (see drbdadm).")
    int newCurrentUuid(@Option(names = "--clear-bitmap",
            description = "On a fresh, connected pair: skip the initial sync.") boolean clearBitmap,
            @Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("new-current-uuid", s -> s.newCurrentUuid(NewCurrentUuidRequest.newBuilder()
                .addAllResources(resources).setClearBitmap(clearBitmap).build()));
    }

    @Command(name = "invalidate", description = "Discard local data; a full sync from the peer follows.")
    int invalidate(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("invalidate", s -> s.invalidate(request(resources)));
    }

    @Command(name = "invalidate-remote", description = "Discard the peer's data; a full sync to it follows.")
    int invalidateRemote(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("invalidate-remote", s -> s.invalidateRemote(request(resources)));
    }

    @Command(name = "verify", description = "Online verify: compare both copies with verify-alg.")
    int verify(@Option(names = "--start", paramLabel = "SECTOR") long start,
            @Option(names = "--stop", paramLabel = "SECTOR") long stop,
            @Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("verify", s -> s.verify(VerifyRequest.newBuilder().addAllResources(resources)
                .setStartSector(start).setStopSector(stop).build()));
    }

    @Command(name = "pause-sync", description = "Pause a running resync.")
    int pauseSync(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("pause-sync", s -> s.pauseSync(request(resources)));
    }

    @Command(name = "resume-sync", description = "Resume a paused resync.")
    int resumeSync(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("resume-sync", s -> s.resumeSync(request(resources)));
    }

    @Command(name = "outdate", description = "Mark the local data Outdated (not while connected).")
    int outdate(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("outdate", s -> s.outdate(request(resources)));
    }

    @Command(name = "adjust", description = "Make the running resources match the configuration file.")
    int adjust(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return remoteVerb("adjust", s -> s.adjust(request(resources)));
    }

    @Command(name = "resize", description = "Re-read the backing devices' sizes and give the device the size both"
            + " nodes agree on; the grown area is synced from the Primary.")
    int resize(@Option(names = "--size", paramLabel = "SIZE", description = "The device's size instead of what the"
                    + " backing devices offer: sectors, or with a suffix K, M, G (or s). Shrinking needs it; data"
                    + " beyond the new end is lost.") String size,
            @Option(names = "--assume-peer-has-space", description = "While not connected: take the peer's backing"
                    + " device to have grown as well.") boolean assumePeerHasSpace,
            @Option(names = "--assume-clean", description = "Do not sync the grown area (it holds the same data on"
                    + " both nodes, e.g. zeroes).") boolean assumeClean,
            @Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        long sectors = 0;
        if (size != null) {
            OptionalLong parsed = uk.e42.tandem.config.Sizes.parse(size, 's');
            if (parsed.isEmpty() || parsed.getAsLong() <= 0) {
                spec.commandLine().getErr().printf("tandem resize: --size %s: expected a positive number of sectors,"
                        + " or one with a suffix K, M, G or s (e.g. 10G)%n", size);
                return ExitCodes.USAGE;
            }
            sectors = parsed.getAsLong();
        }
        long bytes = sectors << 9;
        return remoteVerb("resize", s -> s.resize(ResizeRequest.newBuilder().addAllResources(resources)
                .setSizeBytes(bytes).setAssumePeerHasSpace(assumePeerHasSpace).setAssumeClean(assumeClean)
                .build()));
    }

    @Command(name = "check-resize", description = {"After a backing device grew while its resource was down: move"
            + " the internal meta data from the device's last known end to its new end (drbdmeta check-resize), so"
            + " that up finds it; on an attached resource, resize. Without a daemon it runs locally."})
    int checkResize(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        if (daemonAnswers()) {
            return remoteVerb("check-resize", s -> s.checkResize(request(resources)));
        }
        LastKnownBackingDevices lastKnown = new LastKnownBackingDevices(settings().stateDir());
        return forEachVolume("check-resize", resources, (resource, volume, out) -> MetaDataTool.checkResize(
                Path.of(volume.disk()), Resource.metaDisk(volume.metaDisk()), lastKnown, volume.minor())
                .forEach(line -> out.println(resource + ": " + line)));
    }

    /** Whether this node's daemon answers (an unusable admin address counts as yes: the remote verb says why). */
    private boolean daemonAnswers() {
        TandemConfig settings = settings();
        try (AdminConnection admin = new AdminConnection(NodeLinkSecurity.adminAddress(settings),
                NodeLinkSecurity.tlsSettings(settings), Node.nameOf(settings))) {
            return admin.daemonAnswers();
        } catch (IOException | IllegalArgumentException e) {
            return true;
        }
    }

    @Command(name = "events2", description = "Stream state changes in drbdsetup events2 format.")
    int events2(@Option(names = "--now", description = "Print the current state, then stop.") boolean now,
            @Option(names = "--statistics") boolean statistics,
            @Parameters(paramLabel = RESOURCES, arity = "0..*") List<String> resources) {
        PrintWriter out = spec.commandLine().getOut();
        return remote("events2", s -> {
            s.withDeadlineAfter(now ? 60 : 3650, TimeUnit.DAYS).events2(Events2Request
                    .newBuilder().setNow(now).setStatistics(statistics).build()).forEachRemaining(line -> {
                        out.println(line.getLine());
                        out.flush();
                    });
            return "";
        }, text -> text);
    }

    @Command(name = "proc", description = "Print DRBD 8.4's /proc/drbd view of this node.")
    int proc() {
        return remote("proc", s -> s.procDrbd(ProcDrbdRequest.getDefaultInstance()), r -> r.getText());
    }

    @Command(name = "create-md", description = "Write fresh DRBD v08 meta data (no daemon needed).")
    int createMd(@Option(names = "--force", description = "Overwrite existing meta data.") boolean force,
            @Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return forEachVolume("create-md", resources, (resource, volume, out) -> {
            MetaDataTool.Confirmation confirm = force ? MetaDataTool.Confirmation.FORCE : this::askYes;
            MetaDataTool.Created created = MetaDataTool.createMd(Path.of(volume.disk()),
                    Resource.metaDisk(volume.metaDisk()), MetaDataTool.CreateOptions.DEFAULTS, confirm);
            created.messages().forEach(out::println);
            recordCreated(volume, created.layout());
        });
    }

    @Command(name = "dump-md", description = "Print the meta data as drbdmeta dump-md does (no daemon needed).")
    int dumpMd(@Option(names = "--force", description = "Dump even while a daemon has the meta data attached.")
            boolean force, @Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return forEachVolume("dump-md", resources, (resource, volume, out) -> out.print(MetaDataTool.dumpMd(
                Path.of(volume.disk()), Resource.metaDisk(volume.metaDisk()),
                MetaDataDump.Header.now("tandem dump-md " + resource), force)));
    }

    @Command(name = "show-gi", description = "Explain the generation UUIDs, as drbdadm show-gi does (no daemon needed).")
    int showGi(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return forEachVolume("show-gi", resources, (resource, volume, out) -> out.print(MetaDataTool.showGi(
                Path.of(volume.disk()), Resource.metaDisk(volume.metaDisk()))));
    }

    @Command(name = "get-gi", description = "Print the generation UUIDs, as drbdadm get-gi does (no daemon needed).")
    int getGi(@Parameters(paramLabel = RESOURCES, arity = "1..*") List<String> resources) {
        return forEachVolume("get-gi", resources, (resource, volume, out) -> out.print(MetaDataTool.getGi(
                Path.of(volume.disk()), Resource.metaDisk(volume.metaDisk()))));
    }

    /** As drbdmeta records it after create-md: the size the new internal meta data is placed for. */
    private void recordCreated(ResolvedVolume volume, MetaLayout layout) {
        LastKnownBackingDevices lastKnown = new LastKnownBackingDevices(settings().stateDir());
        try {
            if (layout.internal()) {
                lastKnown.save(volume.minor(), new LastKnownBackingDevice(layout.metaDeviceBytes(), volume.disk(), 0));
            } else {
                lastKnown.delete(volume.minor());
            }
        } catch (IOException e) {
            spec.commandLine().getErr().printf("tandem create-md: cannot record the size of %s in %s (%s); should it"
                    + " grow while the resource is down, tandem check-resize will not find its meta data%n",
                    volume.disk(), lastKnown.file(volume.minor()), e.getMessage());
        }
    }

    /** A local meta data tool run on every volume of the named resources, from this node's config. */
    private interface VolumeTool {
        void run(String resource, ResolvedVolume volume, PrintWriter out) throws IOException;
    }

    private int forEachVolume(String verb, List<String> resources, VolumeTool tool) {
        CommandLine cli = spec.commandLine();
        TandemConfig settings = settings();
        NodeView node;
        try {
            node = ConfigParser.parse(configFile != null ? configFile : settings.config()).forNode(Node.nameOf(settings));
        } catch (ConfigException e) {
            cli.getErr().println(e.getMessage());
            return ExitCodes.CONFIG;
        }
        List<String> names = resources.equals(List.of("all")) ? node.resourceNames() : resources;
        for (String name : names) {
            try {
                for (ResolvedVolume volume : node.resource(name).volumes()) {
                    tool.run(name, volume, cli.getOut());
                }
            } catch (ConfigException | IOException | IllegalArgumentException e) {
                cli.getOut().flush();
                cli.getErr().printf("tandem %s %s: %s%n", verb, name, e.getMessage());
                return e instanceof ConfigException ? ExitCodes.CONFIG : ExitCodes.FAILED;
            }
        }
        cli.getOut().flush();
        return ExitCodes.OK;
    }

    /** drbdmeta's interactive question; without a terminal the answer is no. */
    private boolean askYes(String question) {
        Console console = System.console();
        if (console == null) {
            spec.commandLine().getErr().println(question + " (no terminal to answer on; use --force)");
            return false;
        }
        String answer = console.readLine("%s%n[need to type 'yes' to confirm] ", question);
        return "yes".equals(answer == null ? "" : answer.strip());
    }

    @Command(name = "dump", description = "Print the parsed configuration as drbdadm dump does (no daemon needed).")
    int dump(@Parameters(paramLabel = RESOURCES, arity = "0..*") List<String> resources) {
        CommandLine cli = spec.commandLine();
        TandemConfig settings = settings();
        DrbdConfig config;
        try {
            config = ConfigParser.parse(configFile != null ? configFile : settings.config());
        } catch (ConfigException e) {
            cli.getErr().println(e.getMessage());
            return ExitCodes.CONFIG;
        }
        NodeView node = config.forNode(Node.nameOf(settings));
        List<String> names = orAll(resources);
        if (names.equals(List.of("all"))) {
            cli.getOut().print(ConfigDumper.dumpAll(config, node));
        } else {
            for (String name : names) {
                if (config.resource(name).filter(node::takesPart).isEmpty()) {
                    cli.getErr().printf("'%s' not defined in your config (for this host '%s').%n", name, node.nodeName());
                    return ExitCodes.FAILED;
                }
            }
            cli.getOut().print(ConfigDumper.dumpResources(config, node, names));
        }
        cli.getOut().flush();
        return ExitCodes.OK;
    }

    @Command(name = "genkey", description = "Write a new link key: tandem genkey secret FILE.")
    int genkey(@Parameters(index = "0", paramLabel = "secret") String kind,
            @Parameters(index = "1", paramLabel = "FILE") Path file) {
        PrintWriter err = spec.commandLine().getErr();
        if (!kind.equals("secret")) {
            err.printf("tandem genkey: unknown key kind '%s'; the only kind is 'secret' (tandem genkey secret FILE)%n",
                    kind);
            return ExitCodes.USAGE;
        }
        try {
            StaticKey.generate(new SecureRandom()).writeNew(file);
        } catch (FileSystemException e) {
            String why = e instanceof NoSuchFileException ? "its directory does not exist"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e.getReason() != null ? e.getReason() : e.toString();
            err.printf("tandem genkey: cannot write %s: %s%n", file, why);
            return ExitCodes.FAILED;
        } catch (IOException e) {
            err.printf("tandem genkey: cannot write %s: %s%n", file, e);
            return ExitCodes.FAILED;
        }
        spec.commandLine().getOut().printf("tandem genkey: wrote a 2048-bit static key to %s (mode 0600); copy it to"
                + " the peer and point tandem.tls.key-file at it%n", file);
        return ExitCodes.OK;
    }

    @Command(name = "admin-cert", description = {"Write a client certificate of the cluster's CA (from"
            + " tandem.tls.key-file) as ca.crt, admin.crt and admin.key in DIR, for grpcurl or the CLI on another host"
            + " (tandem.tls.mode=pem) reaching an admin API beyond localhost. No daemon needed."})
    int adminCert(@Option(names = "--days", paramLabel = "N", defaultValue = "1",
            description = "Validity in days (default: ${DEFAULT-VALUE}).") int days,
            @Option(names = "--name", paramLabel = "NAME", defaultValue = "admin",
                    description = "The name in the certificate, shown in the daemon's log (default: ${DEFAULT-VALUE}).")
            String name,
            @Parameters(paramLabel = "DIR") Path dir) {
        PrintWriter err = spec.commandLine().getErr();
        TandemConfig.Tls tls = settings().tls();
        if (tls.mode() != TlsMode.STATIC_KEY) {
            err.printf("tandem admin-cert: tandem.tls.mode=%s has no cluster key to issue from; with pem, issue the"
                    + " admin's certificate from the CA in tandem.tls.ca-file (extended key usage: client auth)%n",
                    tls.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            return ExitCodes.USAGE;
        }
        if (days < 1) {
            err.printf("tandem admin-cert: --days %d: give at least 1%n", days);
            return ExitCodes.USAGE;
        }
        AdminCertificate.Written written;
        try {
            if (!Files.exists(tls.keyFile())) {
                err.printf("tandem admin-cert: tandem.tls.key-file %s does not exist; run this where the cluster's"
                        + " key is (a node), or point tandem.tls.key-file / TANDEM_TLS_KEY_FILE at it%n", tls.keyFile());
                return ExitCodes.FAILED;
            }
            written = AdminCertificate.write(StaticKey.read(tls.keyFile()), name, Duration.ofDays(days), dir);
        } catch (IOException e) {
            err.printf("tandem admin-cert: %s%n", e.getMessage());
            return ExitCodes.FAILED;
        }
        spec.commandLine().getOut().printf("tandem admin-cert: wrote %s, %s and %s (the key mode 0600); certificate for %s"
                + " valid until %s%n", written.ca(), written.certificate(), written.privateKey(), name,
                written.notAfter());
        return ExitCodes.OK;
    }

    private int notAvailable(String verb) {
        spec.commandLine().getErr().printf("tandem %s: not available yet in this version of Tandem%n", verb);
        return ExitCodes.FAILED;
    }

    private int remoteVerb(String verb, Function<AdminBlockingStub, VerbReply> rpc) {
        return remote(verb, rpc, VerbReply::getMessage);
    }

    private <T> int remote(String verb, Function<AdminBlockingStub, T> rpc, Function<T, String> render) {
        CommandLine cli = spec.commandLine();
        TandemConfig settings = settings();
        HostPort address;
        try {
            address = NodeLinkSecurity.adminAddress(settings);
        } catch (IllegalArgumentException e) {
            cli.getErr().println("tandem " + verb + ": " + e.getMessage());
            return ExitCodes.USAGE;
        }
        try (AdminConnection admin = new AdminConnection(address, NodeLinkSecurity.tlsSettings(settings),
                Node.nameOf(settings))) {
            return admin.call(verb, rpc, render, cli.getOut(), cli.getErr());
        } catch (IOException e) {
            cli.getErr().printf("tandem %s: the admin API at %s needs a client certificate: %s%n", verb, address,
                    e.getMessage());
            return ExitCodes.FAILED;
        }
    }

    private String renderStatus(StatusReply reply) {
        String problem = reply.getNode().getConfigProblem();
        if (!problem.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("# " + reply.getNode().getNodeName() + ": " + problem);
            err.flush();
        }
        return reply.getText();
    }

    private static ResourceRequest request(List<String> resources) {
        return ResourceRequest.newBuilder().addAllResources(resources).build();
    }

    private static List<String> orAll(List<String> resources) {
        return resources == null || resources.isEmpty() ? List.of("all") : resources;
    }

    /**
     * The same settings the daemon reads (system properties, TANDEM_* env vars, defaults). Other
     * {@code tandem.*} keys (settings of parts this mapping does not cover, or tandem.e2e.required
     * under test) are not an error here, as they are not for the daemon.
     */
    static TandemConfig settings() {
        SmallRyeConfig config = new SmallRyeConfigBuilder().addDefaultSources()
                .withMapping(TandemConfig.class).withValidateUnknown(false).build();
        return config.getConfigMapping(TandemConfig.class);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tandem " + Versions.tandem()};
        }
    }
}
