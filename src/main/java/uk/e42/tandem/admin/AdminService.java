package uk.e42.tandem.admin;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import uk.e42.tandem.admin.v1.ConnectRequest;
import uk.e42.tandem.admin.v1.Event2Line;
import uk.e42.tandem.admin.v1.Events2Request;
import uk.e42.tandem.admin.v1.GetNodeRequest;
import uk.e42.tandem.admin.v1.MutinyAdminGrpc;
import uk.e42.tandem.admin.v1.NewCurrentUuidRequest;
import uk.e42.tandem.admin.v1.NodeInfo;
import uk.e42.tandem.admin.v1.PrimaryRequest;
import uk.e42.tandem.admin.v1.ProcDrbdReply;
import uk.e42.tandem.admin.v1.ProcDrbdRequest;
import uk.e42.tandem.admin.v1.ResourceRequest;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.StatusReply;
import uk.e42.tandem.admin.v1.StatusRequest;
import uk.e42.tandem.admin.v1.VerbReply;
import uk.e42.tandem.admin.v1.VerifyRequest;
import uk.e42.tandem.config.ConfigException;
import uk.e42.tandem.config.ConfigParser;
import uk.e42.tandem.config.NodeView;
import uk.e42.tandem.config.ResolvedResource;
import uk.e42.tandem.device.Resource;
import uk.e42.tandem.node.Node;
import uk.e42.tandem.node.ResourceManager;

/**
 * The admin API: drbdadm's verbs on this node's resources, the status views and the event feed.
 * Verbs block on the resource's executor, so they run on worker threads. Refusals carry DRBD's
 * text; a refused state change is FAILED_PRECONDITION (the CLI exits 11 like drbdadm).
 */
@GrpcService
public class AdminService extends MutinyAdminGrpc.AdminImplBase {
    private final Node node;
    private final ResourceManager manager;

    public AdminService(Node node, ResourceManager manager) {
        this.node = node;
        this.manager = manager;
    }

    @Override
    public Uni<NodeInfo> getNode(GetNodeRequest request) {
        return Uni.createFrom().item(nodeInfo());
    }

    @Override
    public Uni<StatusReply> status(StatusRequest request) {
        return Uni.createFrom().item(() -> {
            List<ResourceStatus> statuses = resolve(request.getResourcesList()).stream().map(StatusBuilder::of)
                    .toList();
            return StatusReply.newBuilder().setNode(nodeInfo()).addAllResources(statuses)
                    .setText(StatusText.render(statuses, request.getVerbose(), request.getStatistics())).build();
        });
    }

    @Override
    public Uni<ProcDrbdReply> procDrbd(ProcDrbdRequest request) {
        return Uni.createFrom().item(() -> ProcDrbdReply.newBuilder().setText(procDrbd()).build());
    }

    /** /proc/drbd for every resource of this node. */
    public String procDrbd() {
        return ProcDrbdText.of(manager.all());
    }

    @Override
    @Blocking
    public Uni<VerbReply> up(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::up);
    }

    @Override
    @Blocking
    public Uni<VerbReply> down(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::down);
    }

    @Override
    @Blocking
    public Uni<VerbReply> attach(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::attach);
    }

    @Override
    @Blocking
    public Uni<VerbReply> detach(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::detach);
    }

    @Override
    @Blocking
    public Uni<VerbReply> connect(ConnectRequest request) {
        return each(request.getResourcesList(), r -> r.connect(request.getDiscardMyData()));
    }

    @Override
    @Blocking
    public Uni<VerbReply> disconnect(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::disconnect);
    }

    @Override
    @Blocking
    public Uni<VerbReply> primary(PrimaryRequest request) {
        return each(request.getResourcesList(), r -> r.primary(request.getForce()));
    }

    @Override
    @Blocking
    public Uni<VerbReply> secondary(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::secondary);
    }

    @Override
    @Blocking
    public Uni<VerbReply> newCurrentUuid(NewCurrentUuidRequest request) {
        return each(request.getResourcesList(), r -> r.newCurrentUuid(request.getClearBitmap()));
    }

    @Override
    @Blocking
    public Uni<VerbReply> resize(uk.e42.tandem.admin.v1.ResizeRequest request) {
        if (request.getSizeBytes() % 512 != 0) {
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription("resize --size "
                    + request.getSizeBytes() + " bytes: the size must be a whole number of 512-byte sectors")
                    .asRuntimeException());
        }
        Resource.ResizeRequest resize = new Resource.ResizeRequest(request.getSizeBytes() >> 9,
                request.getAssumePeerHasSpace(), request.getAssumeClean());
        List<String> done = new ArrayList<>();
        return each(request.getResourcesList(), r -> done.add(r.name() + ": " + r.resize(resize)))
                .map(reply -> VerbReply.newBuilder().setMessage(String.join("\n", done)).build());
    }

    @Override
    @Blocking
    public Uni<VerbReply> checkResize(ResourceRequest request) {
        List<String> done = new ArrayList<>();
        return each(request.getResourcesList(), r -> {
            String result = r.checkResize();
            if (!result.isEmpty()) {
                done.add(r.name() + ": " + result);
            }
        }).map(reply -> VerbReply.newBuilder().setMessage(String.join("\n", done)).build());
    }

    @Override
    @Blocking
    public Uni<VerbReply> pauseSync(ResourceRequest request) {
        return each(request.getResourcesList(), r -> r.pauseSync(true));
    }

    @Override
    @Blocking
    public Uni<VerbReply> resumeSync(ResourceRequest request) {
        return each(request.getResourcesList(), r -> r.pauseSync(false));
    }

    @Override
    @Blocking
    public Uni<VerbReply> outdate(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::outdate);
    }

    @Override
    @Blocking
    public Uni<VerbReply> invalidate(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::invalidate);
    }

    @Override
    @Blocking
    public Uni<VerbReply> invalidateRemote(ResourceRequest request) {
        return each(request.getResourcesList(), Resource::invalidateRemote);
    }

    @Override
    @Blocking
    public Uni<VerbReply> verify(VerifyRequest request) {
        return each(request.getResourcesList(), r -> r.verify(request.getStartSector(), request.getStopSector()));
    }

    /**
     * {@code drbdadm adjust}: the configuration file is read again and each resource made to match it;
     * the reply lists what changed. A file that does not parse changes nothing.
     */
    @Override
    @Blocking
    public Uni<VerbReply> adjust(ResourceRequest request) {
        return Uni.createFrom().item(() -> {
            NodeView view;
            try {
                view = ConfigParser.parse(node.settings().config()).forNode(node.name());
            } catch (ConfigException e) {
                throw new StatusRuntimeException(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            }
            List<String> lines = new ArrayList<>();
            for (Resource resource : resolve(request.getResourcesList())) {
                ResolvedResource wanted;
                try {
                    wanted = view.resource(resource.name());
                } catch (ConfigException e) {
                    throw new StatusRuntimeException(Status.INVALID_ARGUMENT.withDescription(e.getMessage()
                            + " (a resource leaves the daemon with `tandem down` and a restart)"));
                }
                try {
                    resource.adjust(wanted).forEach(line -> lines.add(resource.name() + ": " + line));
                } catch (Resource.StateChangeRefused e) {
                    throw refusal(e);
                }
            }
            return VerbReply.newBuilder().setMessage(String.join("\n", lines)).build();
        });
    }

    @Override
    public Multi<Event2Line> events2(Events2Request request) {
        List<Resource> resources = manager.all();
        return Multi.createFrom().<String>emitter(emitter -> {
            Map<String, ResourceStatus> last = new HashMap<>();
            List<Resource.Listener> listeners = new ArrayList<>();
            List<ResourceStatus> now = new ArrayList<>();
            for (Resource r : resources) {
                ResourceStatus status = StatusBuilder.of(r);
                last.put(r.name(), status);
                now.add(status);
            }
            Events2Text.exists(now, request.getStatistics()).forEach(emitter::emit);
            if (request.getNow()) {
                emitter.complete();
                return;
            }
            for (Resource r : resources) {
                Resource.Listener listener = changed -> {
                    ResourceStatus after = StatusBuilder.of(changed);
                    synchronized (last) {
                        Events2Text.changes(last.put(changed.name(), after), after, request.getStatistics())
                                .forEach(emitter::emit);
                    }
                };
                r.addListener(listener);
                listeners.add(listener);
            }
            emitter.onTermination(() -> {
                for (int i = 0; i < resources.size(); i++) {
                    resources.get(i).removeListener(listeners.get(i));
                }
            });
        }).map(line -> Event2Line.newBuilder().setLine(line).build());
    }

    private interface Verb {
        void run(Resource resource) throws Resource.StateChangeRefused;
    }

    private Uni<VerbReply> each(List<String> names, Verb verb) {
        return Uni.createFrom().item(() -> {
            for (Resource resource : resolve(names)) {
                try {
                    verb.run(resource);
                } catch (Resource.StateChangeRefused e) {
                    throw refusal(e);
                }
            }
            return VerbReply.getDefaultInstance();
        });
    }

    /** A refused state change is FAILED_PRECONDITION (drbdadm's exit 11); other refusals ABORTED. */
    private static StatusRuntimeException refusal(Resource.StateChangeRefused e) {
        Status status = e.result().isPresent() ? Status.FAILED_PRECONDITION : Status.ABORTED;
        return new StatusRuntimeException(status.withDescription(e.getMessage()));
    }

    /** drbdadm's resource arguments: names, or "all". */
    private List<Resource> resolve(List<String> names) {
        if (names.isEmpty() || names.equals(List.of("all"))) {
            return manager.all();
        }
        List<Resource> found = new ArrayList<>();
        for (String name : names) {
            found.add(manager.find(name).orElseThrow(() -> new StatusRuntimeException(Status.NOT_FOUND
                    .withDescription("'" + name + "' not defined in your config (for this host '" + node.name()
                            + "')."))));
        }
        return found;
    }

    private NodeInfo nodeInfo() {
        return NodeInfo.newBuilder()
                .setNodeName(node.name())
                .setConfigFile(node.settings().config().toString())
                .setConfigProblem(node.configProblem())
                .addAllResources(node.resourceNames())
                .setVersion(Versions.tandem())
                .build();
    }
}
