package uk.e42.tandem.admin;

import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import uk.e42.tandem.admin.v1.MutinyAdminGrpc;
import uk.e42.tandem.admin.v1.GetNodeRequest;
import uk.e42.tandem.admin.v1.NodeInfo;
import uk.e42.tandem.admin.v1.StatusReply;
import uk.e42.tandem.admin.v1.StatusRequest;
import uk.e42.tandem.node.Node;

/**
 * The admin API. Verbs that are not here yet answer UNIMPLEMENTED (the generated defaults), which
 * the CLI reports as "not available yet".
 */
@GrpcService
public class AdminService extends MutinyAdminGrpc.AdminImplBase {
    private final Node node;

    public AdminService(Node node) {
        this.node = node;
    }

    @Override
    public Uni<NodeInfo> getNode(GetNodeRequest request) {
        return Uni.createFrom().item(nodeInfo());
    }

    @Override
    public Uni<StatusReply> status(StatusRequest request) {
        return Uni.createFrom().item(StatusReply.newBuilder().setNode(nodeInfo()).build());
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
