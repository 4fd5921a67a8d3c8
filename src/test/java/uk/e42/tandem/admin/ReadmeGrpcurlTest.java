package uk.e42.tandem.admin;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.admin.v1.AdminGrpc;

/**
 * The README's grpcurl lines call methods the admin service has, with request bodies in the JSON
 * mapping of those methods' messages, as grpcurl (which resolves them through server reflection)
 * would parse them. grpcurl itself is not a Debian package; DaemonIT checks reflection.
 */
class ReadmeGrpcurlTest {
    private static final Pattern CALL = Pattern.compile(
            "grpcurl (.*?)(?:-d '([^']*)' )?\\S+ (tandem\\.admin\\.v1\\.Admin)(?:/(\\w+))?");

    @Test
    void everyGrpcurlCallOfTheReadmeNamesAMethodAndAValidBody() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Descriptors.ServiceDescriptor service = ((ProtoServiceDescriptorSupplier) AdminGrpc.getServiceDescriptor()
                .getSchemaDescriptor()).getServiceDescriptor();
        List<String> lines = readme.replace("\\\n", " ").lines().filter(l -> l.contains("grpcurl ")
                && l.contains("tandem.admin.v1.Admin")).toList();
        assertTrue(lines.size() >= 7, "the README's grpcurl examples: " + lines);
        for (String line : lines) {
            Matcher call = CALL.matcher(line.replaceAll("\\s+", " "));
            assertTrue(call.find(), line);
            if (call.group(4) == null) {
                continue; // describe tandem.admin.v1.Admin
            }
            Descriptors.MethodDescriptor method = service.findMethodByName(call.group(4));
            assertNotNull(method, "no method " + call.group(4) + " in " + line);
            DynamicMessage.Builder body = DynamicMessage.newBuilder(method.getInputType());
            JsonFormat.parser().merge(call.group(2) == null ? "{}" : call.group(2), body);
        }
    }
}
