package uk.e42.tandem.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k8s/ against the Kubernetes API model (strictly: unknown fields fail), then against Tandem: the
 * pods find their node name, config, key, disks and ports where the conventions say.
 */
class KubernetesManifestsTest {
    private static final Path K8S = Path.of("k8s");
    private static final Set<String> KUSTOMIZATION_KEYS = Set.of("apiVersion", "kind", "namespace", "labels",
            "resources", "configMapGenerator", "secretGenerator", "generatorOptions", "images");

    @Test
    void everyManifestIsAValidKubernetesObject() throws IOException {
        for (Path file : manifests()) {
            assertNotNull(KubernetesManifests.read(file));
        }
        assertNotNull(KubernetesManifests.read(K8S.resolve("secret-static-key.template.yaml")));
    }

    @Test
    void theCheckRejectsAFieldTheApiDoesNotHave(@TempDir Path dir) throws IOException {
        String daemonSet = Files.readString(K8S.resolve("daemonset.yaml"))
                .replace("terminationGracePeriodSeconds:", "terminationGracePeriod:");
        Path typo = Files.writeString(dir.resolve("typo.yaml"), daemonSet);
        AssertionError error = assertThrows(AssertionError.class, () -> KubernetesManifests.read(typo));
        assertTrue(error.getMessage().contains("spec.template.spec.terminationGracePeriod"), error.getMessage());
        Path wrongType = Files.writeString(dir.resolve("type.yaml"),
                Files.readString(K8S.resolve("daemonset.yaml")).replace("containerPort: 7789", "containerPort: [7789]"));
        assertThrows(IOException.class, () -> KubernetesManifests.read(wrongType));
    }

    @Test
    void theKustomizationNamesWhatIsHereAndKeepsTheKeyOut() throws IOException {
        JsonNode kustomization = kustomization();
        kustomization.fieldNames().forEachRemaining(key ->
                assertTrue(KUSTOMIZATION_KEYS.contains(key), "kustomization.yaml: unknown key " + key));
        assertEquals("kustomize.config.k8s.io/v1beta1", kustomization.path("apiVersion").asText());
        assertEquals("Kustomization", kustomization.path("kind").asText());
        for (JsonNode generator : kustomization.path("configMapGenerator")) {
            for (JsonNode file : generator.path("files")) {
                assertTrue(Files.isRegularFile(K8S.resolve(file.asText())), "configMapGenerator names a missing " + file);
            }
        }
        Set<String> generated = new TreeSet<>();
        for (Path file : Files.newDirectoryStream(K8S.resolve("drbd.d"))) {
            generated.add("drbd.d/" + file.getFileName());
        }
        assertEquals(generated, textSet(generator("tandem-drbd-d").path("files")),
                "every file of k8s/drbd.d belongs in the tandem-drbd-d ConfigMap");
        assertTrue(textSet(kustomization.path("resources")).stream().noneMatch(r -> r.contains("secret")),
                "the Secret template stays out of the kustomization, so apply never overwrites a real key");
        assertFalse(kustomization.has("secretGenerator"), "no key in git: the Secret is made from a file by hand");
        assertEquals("tandem", kustomization.path("images").get(0).path("name").asText());
        assertEquals("tandem", container().getImage(), "the image that kustomization's images: replaces");
    }

    @Test
    void podsRunOnTheStorageNodesNamedInDrbdConfAndKnowWhichTheyAre() throws IOException {
        PodSpec pod = pod();
        List<NodeSelectorRequirement> terms = pod.getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().get(0).getMatchExpressions();
        assertEquals(1, terms.size());
        assertEquals("kubernetes.io/hostname", terms.get(0).getKey());
        assertEquals("In", terms.get(0).getOperator());
        assertEquals(resource().hosts().keySet(), new TreeSet<>(terms.get(0).getValues()),
                "the pods run exactly on the `on HOST` nodes of k8s/drbd.d");
        EnvVar nodeName = env("TANDEM_NODE_NAME");
        assertEquals("spec.nodeName", nodeName.getValueFrom().getFieldRef().getFieldPath(),
                "a pod's hostname is random: its node name is the `on HOST` name");
    }

    @Test
    void peersListenOnTheNodesDrbdConfAddresses() throws IOException {
        PodSpec pod = pod();
        assertTrue(pod.getHostNetwork(), "drbd.conf addresses are the nodes' own (docs/deployment.md)");
        assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
        Set<Integer> drbdPorts = new HashSet<>(resource().hosts().values());
        assertEquals(Set.of(port("peer")), drbdPorts, "containerPort peer is the drbd.conf address port");
        Service service = KubernetesManifests.read(K8S.resolve("service.yaml"), Service.class);
        assertEquals("None", service.getSpec().getClusterIP(), "headless: it names the pods, never balances a link");
        for (ServicePort servicePort : service.getSpec().getPorts()) {
            assertEquals(port(servicePort.getTargetPort().getStrVal()), servicePort.getPort(),
                    "service port " + servicePort.getName() + " is the container's");
        }
        assertSelects(service.getSpec().getSelector(), "Service");
    }

    @Test
    void probesAskTheHealthEndpointsOnTheHttpPort() throws IOException {
        Container container = container();
        assertEquals(Integer.parseInt(env("QUARKUS_HTTP_PORT").getValue()), port("http"),
                "containerPort http is quarkus.http.port");
        assertEquals(8080, port("http"), "quarkus.http.port keeps its conventional 8080");
        Map<String, Probe> probes = Map.of("/q/health/started", container.getStartupProbe(),
                "/q/health/live", container.getLivenessProbe(), "/q/health/ready", container.getReadinessProbe());
        probes.forEach((path, probe) -> {
            assertNotNull(probe, "a probe on " + path);
            assertEquals(path, probe.getHttpGet().getPath());
            assertEquals("http", probe.getHttpGet().getPort().getStrVal());
        });
        assertEquals(Set.copyOf(HealthProbePathsTest.PATHS), probes.keySet(), "HealthProbePathsTest asks the app for these");
    }

    @Test
    void configKeyAndDisksAreMountedWhereTheSettingsPoint() throws IOException {
        Container container = container();
        PodSpec pod = pod();
        VolumeMount config = mountAt(container, env("TANDEM_CONFIG").getValue());
        assertEquals("drbd.conf", config.getSubPath());
        assertEquals("tandem-drbd-conf", volume(pod, config.getName()).getConfigMap().getName());
        assertNotNull(generator("tandem-drbd-conf"), "kustomization makes tandem-drbd-conf");
        String drbdConf = Files.readString(K8S.resolve("drbd.conf"));
        VolumeMount drbdD = mountAt(container, "/etc/drbd.d");
        assertEquals("tandem-drbd-d", volume(pod, drbdD.getName()).getConfigMap().getName());
        assertTrue(drbdConf.contains("include \"/etc/drbd.d/*.res\";"), "drbd.conf includes the drbd.d mount");

        Path keyFile = Path.of(env("TANDEM_TLS_KEY_FILE").getValue());
        assertEquals("/etc/tandem/static.key", keyFile.toString(), "tandem.tls.key-file's default");
        assertEquals("static-key", env("TANDEM_TLS_MODE").getValue());
        Volume key = volume(pod, mountAt(container, keyFile.getParent().toString()).getName());
        Secret template = KubernetesManifests.read(K8S.resolve("secret-static-key.template.yaml"), Secret.class);
        assertEquals(template.getMetadata().getName(), key.getSecret().getSecretName());
        assertTrue(template.getStringData().containsKey(keyFile.getFileName().toString()));
        assertEquals(0440, key.getSecret().getDefaultMode(), "the key is readable by the daemon's group only");

        DrbdResource resource = resource();
        for (String disk : List.of(resource.disk(), resource.metaDisk())) {
            Volume device = volume(pod, mountAt(container, disk).getName());
            assertEquals(disk, device.getHostPath().getPath(), "the drbd.conf path, on the host and in the pod");
            assertEquals("BlockDevice", device.getHostPath().getType());
        }
    }

    @Test
    void privilegeIsThereOnlyForTheBlockDevicesAndTheDaemonIsNotRoot() throws IOException {
        PodSpec pod = pod();
        Container container = container();
        boolean blockDevices = pod.getVolumes().stream()
                .anyMatch(v -> v.getHostPath() != null && "BlockDevice".equals(v.getHostPath().getType()));
        assertEquals(blockDevices, Boolean.TRUE.equals(container.getSecurityContext().getPrivileged()),
                "privileged exactly when hostPath block devices need the device cgroup");
        assertEquals(Long.valueOf(185), pod.getSecurityContext().getRunAsUser(), "the image's USER");
        assertTrue(pod.getSecurityContext().getSupplementalGroups().contains(6L), "group disk owns LVM's nodes");
        assertTrue(container.getSecurityContext().getReadOnlyRootFilesystem());
        assertNotNull(mountAt(container, "/tmp"), "a writable /tmp beside the read-only root");
        String dockerUser = Dockerfile.parse(Path.of("deploy/Dockerfile.jvm")).last("USER").arguments();
        assertEquals(dockerUser, pod.getSecurityContext().getRunAsUser().toString());
    }

    @Test
    void disruptionsAndUpdatesTakeOneNodeAtATimeAndStopsAreClean() throws IOException {
        DaemonSet daemonSet = daemonSet();
        assertEquals(1, daemonSet.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());
        PodDisruptionBudget budget = KubernetesManifests.read(K8S.resolve("poddisruptionbudget.yaml"),
                PodDisruptionBudget.class);
        assertEquals(1, budget.getSpec().getMaxUnavailable().getIntVal());
        assertSelects(budget.getSpec().getSelector().getMatchLabels(), "PodDisruptionBudget");
        assertSelects(daemonSet.getSpec().getSelector().getMatchLabels(), "DaemonSet selector");
        long grace = pod().getTerminationGracePeriodSeconds();
        long systemdStop = Long.parseLong(unitSetting("TimeoutStopSec"));
        assertTrue(grace >= systemdStop, "terminationGracePeriodSeconds (" + grace + ") gives the daemon at least "
                + "the time a host gives it to leave as a clean Secondary (TimeoutStopSec " + systemdStop + ")");
        var resources = container().getResources();
        assertNotNull(resources.getRequests().get("memory"));
        assertNotNull(resources.getRequests().get("cpu"));
        assertNotNull(resources.getLimits().get("memory"));
    }

    /** The one resource of k8s/drbd.d: its hosts (name to address port) and its disks. */
    record DrbdResource(Map<String, Integer> hosts, String disk, String metaDisk) {
    }

    static DrbdResource resource() throws IOException {
        String res = Files.readString(K8S.resolve("drbd.d/0_replicated0.res")).replaceAll("#[^\n]*", "");
        Map<String, Integer> hosts = new TreeMap<>();
        Matcher on = Pattern.compile("on\\s+(\\S+)\\s*\\{[^}]*address\\s+[0-9.]+:(\\d+);").matcher(res);
        while (on.find()) {
            hosts.put(on.group(1), Integer.parseInt(on.group(2)));
        }
        Matcher disk = Pattern.compile("\\bdisk\\s+(\\S+);").matcher(res);
        Matcher meta = Pattern.compile("meta-disk\\s+([^\\s\\[;]+)").matcher(res);
        assertTrue(disk.find() && meta.find() && hosts.size() == 2, "0_replicated0.res: two hosts, disk, meta-disk");
        return new DrbdResource(hosts, disk.group(1), meta.group(1));
    }

    private static List<Path> manifests() throws IOException {
        List<Path> files = new ArrayList<>();
        for (JsonNode resource : kustomization().path("resources")) {
            Path file = K8S.resolve(resource.asText());
            assertTrue(Files.isRegularFile(file), "kustomization.yaml names a missing " + file);
            files.add(file);
        }
        return files;
    }

    private static JsonNode kustomization() throws IOException {
        return KubernetesManifests.YAML.readTree(K8S.resolve("kustomization.yaml").toFile());
    }

    private static JsonNode generator(String name) throws IOException {
        for (JsonNode generator : kustomization().path("configMapGenerator")) {
            if (generator.path("name").asText().equals(name)) {
                return generator;
            }
        }
        throw new AssertionError("kustomization.yaml has no configMapGenerator " + name);
    }

    private static DaemonSet daemonSet() throws IOException {
        return KubernetesManifests.read(K8S.resolve("daemonset.yaml"), DaemonSet.class);
    }

    private static PodSpec pod() throws IOException {
        return daemonSet().getSpec().getTemplate().getSpec();
    }

    private static Container container() throws IOException {
        List<Container> containers = pod().getContainers();
        assertEquals(1, containers.size());
        return containers.get(0);
    }

    private static EnvVar env(String name) throws IOException {
        return container().getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("the container sets no " + name));
    }

    private static int port(String name) throws IOException {
        return container().getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow(() -> new AssertionError("no containerPort named " + name));
    }

    private static VolumeMount mountAt(Container container, String path) {
        return container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing is mounted at " + path));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static void assertSelects(Map<String, String> selector, String what) throws IOException {
        Map<String, String> labels = daemonSet().getSpec().getTemplate().getMetadata().getLabels();
        assertFalse(selector.isEmpty(), what + " selects something");
        assertTrue(labels.entrySet().containsAll(selector.entrySet()), what + " " + selector + " selects the pods " + labels);
    }

    private static Set<String> textSet(JsonNode array) {
        Set<String> values = new TreeSet<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static String unitSetting(String key) throws IOException {
        return Files.readAllLines(Path.of("deploy/systemd/tandem.service")).stream()
                .filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).collect(Collectors.joining());
    }
}
