package uk.e42.tandem.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import uk.e42.tandem.deploy.Dockerfile.Instruction;

/**
 * Checks deploy/Dockerfile.jvm and deploy/Dockerfile.native without a container engine: the
 * hadolint rules that matter for a storage daemon (named in each assertion), and agreement with
 * the repository (copied files exist and pass the .dockerignore, ports follow the conventions).
 */
class DockerfileTest {
    private static final Set<String> KNOWN = Set.of("FROM", "ARG", "ENV", "LABEL", "COPY", "ADD", "RUN", "WORKDIR",
            "USER", "EXPOSE", "ENTRYPOINT", "CMD", "HEALTHCHECK", "STOPSIGNAL", "VOLUME", "SHELL", "ONBUILD");
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(SECRET|PASSWORD|TOKEN|PRIVATE).*");

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.native"})
    void instructionsAreKnownAndTheImageHasOneStageFromAPinnedBase(String name) throws IOException {
        Dockerfile file = Dockerfile.parse(Path.of("deploy", name));
        for (Instruction i : file.instructions()) {
            assertTrue(KNOWN.contains(i.keyword()), name + " " + i.where() + ": unknown instruction");
        }
        List<Instruction> from = file.all("FROM");
        assertEquals(1, from.size(), name + ": one stage, built from what `./mvnw package` made");
        assertEquals("FROM", file.instructions().get(0).keyword(), name + ": FROM comes first");
        String image = from.get(0).words().get(0);
        // DL3006/DL3007: a tag, and not `latest`, so a rebuild gets the same base.
        assertTrue(image.matches("[^:@]+(:[^:@]+|@sha256:[0-9a-f]{64})"), name + ": tag the base image: " + image);
        assertFalse(image.endsWith(":latest"), name + ": DL3007, pin a version instead of latest: " + image);
        assertTrue(image.startsWith("registry.access.redhat.com/ubi9/"), name + ": Quarkus's UBI 9 bases: " + image);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.native"})
    void theDaemonRunsAsAnUnprivilegedUserAndGetsSigterm(String name) throws IOException {
        Dockerfile file = Dockerfile.parse(Path.of("deploy", name));
        // DL3002: not root. Numeric, so Kubernetes' runAsNonRoot can check it without /etc/passwd.
        String user = file.last("USER").arguments();
        assertTrue(user.matches("[1-9][0-9]*(:[0-9]+)?"), name + ": USER must be a numeric non-root uid: " + user);
        // DL3025: exec form, so SIGTERM reaches the daemon itself and it leaves as a clean Secondary.
        assertEquals(1, file.all("ENTRYPOINT").size(), name + ": one ENTRYPOINT");
        assertEquals(1, file.all("CMD").size(), name + ": one CMD");
        List<String> entrypoint = file.last("ENTRYPOINT").execForm()
                .orElseThrow(() -> new AssertionError(name + ": DL3025, ENTRYPOINT in JSON (exec) form"));
        List<String> cmd = file.last("CMD").execForm()
                .orElseThrow(() -> new AssertionError(name + ": DL3025, CMD in JSON (exec) form"));
        assertEquals(List.of("daemon"), cmd, name + ": the image runs `tandem daemon` unless told another verb");
        assertTrue(entrypoint.get(0).endsWith("/tandem"), name + ": the entrypoint is the tandem command: " + entrypoint);
        assertTrue(file.all("COPY").stream().anyMatch(c -> c.words().get(c.words().size() - 1).equals(entrypoint.get(0))),
                name + ": the entrypoint " + entrypoint.get(0) + " must be put there by a COPY");
        for (Instruction copy : file.all("COPY")) {
            copy.flags().stream().filter(f -> f.startsWith("--chown=")).forEach(f -> assertEquals(
                    user.split(":")[0], f.substring("--chown=".length()).split(":")[0],
                    name + " " + copy.where() + ": files belong to the USER that runs the daemon"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.native"})
    void copiesAreExplicitAndPassTheDockerignore(String name) throws IOException {
        Path dockerfile = Path.of("deploy", name);
        Dockerfile file = Dockerfile.parse(dockerfile);
        assertTrue(file.all("ADD").isEmpty(), name + ": DL3020, COPY files; ADD also fetches URLs and unpacks archives");
        for (Instruction workdir : file.all("WORKDIR")) {
            assertTrue(workdir.arguments().startsWith("/"), name + " " + workdir.where() + ": DL3000, absolute WORKDIR");
        }
        List<String> reincluded = Files.readAllLines(Path.of("deploy", name + ".dockerignore")).stream()
                .map(String::strip).filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList();
        for (Instruction copy : file.all("COPY")) {
            List<String> words = copy.words();
            assertTrue(copy.flags().stream().noneMatch(f -> f.startsWith("--from")), name + ": single stage");
            for (String source : words.subList(0, words.size() - 1)) {
                assertTrue(reincluded.stream().anyMatch(pattern -> admits(pattern, source)),
                        name + " " + copy.where() + ": " + name + ".dockerignore leaves out " + source);
                if (!source.startsWith("target/")) {
                    assertTrue(Files.exists(Path.of(source)), name + " " + copy.where() + ": no such file " + source);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.native"})
    void onlyThePeerAndHttpPortsAreExposedAndNoSecretIsBakedIn(String name) throws IOException {
        Dockerfile file = Dockerfile.parse(Path.of("deploy", name));
        // 7789: the seed's drbd.conf `address` port; 8080: quarkus.http.port's default. Admin gRPC
        // (7800) and NBD (10809) listen on 127.0.0.1 by default: publishing them would mislead.
        List<String> exposed = file.all("EXPOSE").stream().flatMap(e -> e.words().stream()).toList();
        assertEquals(List.of("7789", "8080"), exposed, name + ": EXPOSE");
        for (Instruction env : file.all("ENV")) {
            for (String assignment : env.arguments().split("\\s+(?=[A-Z_]+=)")) {
                String variable = assignment.split("=", 2)[0];
                assertFalse(SECRET_NAME.matcher(variable).matches(),
                        name + " " + env.where() + ": secrets come from a mounted file, never from the image");
            }
        }
        assertTrue(Files.readString(Path.of("deploy", name)).contains("docs/deployment.md \"Privileges\""),
                name + ": say which privileges the container needs, and where that is explained");
        assertTrue(Files.readString(Path.of("docs/deployment.md")).contains("## Privileges"),
                "docs/deployment.md needs the Privileges section that the Dockerfiles point to");
    }

    private static boolean admits(String pattern, String source) {
        String p = pattern.endsWith("/") ? pattern.substring(0, pattern.length() - 1) : pattern;
        String s = source.endsWith("/") ? source.substring(0, source.length() - 1) : source;
        return s.equals(p) || s.startsWith(p + "/")
                || FileSystems.getDefault().getPathMatcher("glob:" + p).matches(Path.of(s));
    }
}
