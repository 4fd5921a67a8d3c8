package uk.e42.tandem.e2e;

import java.lang.reflect.AnnotatedElement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Evaluates {@link E2e}: run, skip loudly, or (with tandem.e2e.required=true) fail. */
public final class E2eRequirements implements ExecutionCondition {
    public static final String REQUIRED = "tandem.e2e.required";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<AnnotatedElement> element = context.getElement();
        Optional<E2e> needs = element.flatMap(e -> AnnotationSupport.findAnnotation(e, E2e.class));
        if (needs.isEmpty()) {
            return ConditionEvaluationResult.enabled("no end-to-end requirements");
        }
        List<String> missing = missing(needs.get());
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("end-to-end requirements met");
        }
        String reason = context.getDisplayName() + " needs " + String.join(", ", missing);
        if (Boolean.getBoolean(REQUIRED)) {
            throw new IllegalStateException("E2E REQUIRED BUT NOT RUNNABLE: " + reason
                    + " (-D" + REQUIRED + "=true turns this skip into a failure; .ci/run installs what tests need)");
        }
        System.err.println("\n*** E2E SKIPPED: " + reason + " (CI runs it with -D" + REQUIRED + "=true) ***\n");
        return ConditionEvaluationResult.disabled("E2E SKIPPED: " + reason);
    }

    static List<String> missing(E2e needs) {
        List<String> missing = new ArrayList<>();
        for (String tool : needs.tools()) {
            if (Tools.find(tool).isEmpty()) {
                missing.add("the tool '" + tool + "' (see .ci/run for its Debian package)");
            }
        }
        boolean root = Tools.isRoot();
        if (needs.root() && !root) {
            missing.add("root");
        }
        if (needs.netns() && !(root && Tools.find("ip").isPresent() && Tools.canCreateNetns())) {
            missing.add("network namespaces (root and iproute2's ip netns)");
        }
        if (needs.loop() && !(root && Files.exists(Path.of("/dev/loop-control")) && Tools.find("losetup").isPresent())) {
            missing.add("loop devices (root, /dev/loop-control and losetup)");
        }
        if (needs.fuse() && !Files.exists(Path.of("/dev/fuse"))) {
            missing.add("/dev/fuse");
        }
        if (needs.tun() && !Files.exists(Path.of("/dev/net/tun"))) {
            missing.add("/dev/net/tun");
        }
        return missing;
    }
}
