package uk.e42.tandem.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.util.List;
import uk.e42.tandem.admin.v1.ResourceStatus;

/**
 * {@code tandem status --json}: a JSON array of the admin API's ResourceStatus messages in
 * protobuf's canonical JSON mapping (as grpcurl prints them), every field present even when zero,
 * so scripts see the same keys in every state.
 */
public final class StatusJson {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

    private StatusJson() {
    }

    public static String render(List<ResourceStatus> resources) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < resources.size(); i++) {
            try {
                out.append(i == 0 ? "\n" : ",\n").append(PRINTER.print(resources.get(i)).indent(2).stripTrailing());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("ResourceStatus has no JSON form: " + e.getMessage(), e);
            }
        }
        return out.append(resources.isEmpty() ? "]\n" : "\n]\n").toString();
    }
}
