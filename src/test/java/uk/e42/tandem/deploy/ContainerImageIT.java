package uk.e42.tandem.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

/**
 * Builds deploy/Dockerfile.jvm into an OCI image without a container engine (buildah, chroot
 * isolation, vfs storage), unpacks it with umoci and runs its entrypoint with `--help` as the
 * image's user in a plain chroot, in private mount and PID namespaces.
 *
 * <p>The Dockerfile's UBI base cannot be pulled here (only Debian's and Maven's registries are
 * reachable), so `--from` swaps in a stand-in with what the UBI image gives the launcher: bash,
 * coreutils and a Java 21 runtime, made by mmdebstrap from Debian packages. That takes about a
 * minute, so the stand-in is kept in buildah storage under /var/tmp and made only when missing;
 * every instruction of the Dockerfile itself runs on each test.
 */
class ContainerImageIT {
    private static final Path STORAGE = Path.of("/var/tmp/tandem-test-buildah");
    private static final String BASE = "localhost/tandem-test-base:trixie-jre21";

    @Test
    @E2e(tools = {"buildah", "umoci", "mmdebstrap", "unshare", "chroot"}, root = true)
    void theJvmImageRunsTandemHelpAsItsUnprivilegedUser(@TempDir Path dir) throws IOException {
        Path project = Path.of(System.getProperty("tandem.project.dir", System.getProperty("user.dir")));
        assertTrue(Files.exists(project.resolve("target/quarkus-app/quarkus-run.jar")), "needs ./mvnw package");
        String image = "localhost/tandem-test:" + ProcessHandle.current().pid();
        ensureBase(dir);
        try {
            buildah(project, "build", "--isolation", "chroot", "--from", BASE, "-f", "deploy/Dockerfile.jvm", "-t", image, ".");
            buildah(project, "push", "-q", image, "oci:" + dir.resolve("oci") + ":test");
        } finally {
            Tools.run(buildahCommand("rmi", image).toArray(String[]::new));
        }
        Tools.run("umoci", "unpack", "--image", dir.resolve("oci") + ":test", dir.resolve("bundle").toString()).orFail();

        JsonNode config = imageConfig(dir.resolve("oci"));
        assertEquals("185", config.path("User").asText(), "the image's USER");
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork",
                "--mount-proc=" + dir.resolve("bundle/rootfs/proc"), "chroot", "--userspec=185:0",
                dir.resolve("bundle/rootfs").toString(), "/usr/bin/env", "-i", "HOME=/"));
        config.path("Env").forEach(e -> command.add(e.asText()));
        config.path("Entrypoint").forEach(e -> command.add(e.asText()));
        command.add("--help"); // in place of CMD ["daemon"], as `docker run IMAGE --help` does
        Tools.Result help = Tools.run(command, dir);
        assertEquals(0, help.exitCode(), help.stdout() + help.stderr());
        assertTrue(help.stdout().startsWith("Usage: tandem"), help.stdout() + help.stderr());
        assertTrue(help.stdout().contains("daemon") && help.stdout().contains("primary"), help.stdout());
    }

    /** The stand-in base: a Debian rootfs with bash, coreutils and openjdk-21-jre-headless. */
    private static void ensureBase(Path dir) {
        if (Tools.run(buildahCommand("inspect", "--type", "image", BASE).toArray(String[]::new)).exitCode() == 0) {
            return;
        }
        Path rootfs = dir.resolve("base.tar");
        Tools.run("mmdebstrap", "--variant=minbase", "--include=openjdk-21-jre-headless", "--quiet", "trixie",
                rootfs.toString()).orFail();
        String container = Tools.run(buildahCommand("from", "scratch").toArray(String[]::new)).orFail().stdout().strip();
        try {
            String mount = Tools.run(buildahCommand("mount", container).toArray(String[]::new)).orFail().stdout().strip();
            Tools.run("tar", "-xf", rootfs.toString(), "-C", mount).orFail();
            Tools.run(buildahCommand("config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    container).toArray(String[]::new)).orFail();
            Tools.run(buildahCommand("commit", "-q", container, BASE).toArray(String[]::new)).orFail();
        } finally {
            Tools.run(buildahCommand("rm", container).toArray(String[]::new));
        }
    }

    private static void buildah(Path project, String... args) {
        Tools.run(buildahCommand(args), project).orFail();
    }

    private static List<String> buildahCommand(String... args) {
        List<String> command = new ArrayList<>(List.of("buildah", "--root", STORAGE.resolve("root").toString(),
                "--runroot", "/run/tandem-test-buildah", "--storage-driver", "vfs"));
        command.addAll(List.of(args));
        return command;
    }

    /** The image configuration (Entrypoint, Env, User) from an OCI layout: index, manifest, config. */
    private static JsonNode imageConfig(Path layout) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode index = json.readTree(layout.resolve("index.json").toFile());
        JsonNode manifest = json.readTree(blob(layout, index.path("manifests").get(0).path("digest").asText()).toFile());
        return json.readTree(blob(layout, manifest.path("config").path("digest").asText()).toFile()).path("config");
    }

    private static Path blob(Path layout, String digest) {
        String[] parts = digest.split(":", 2);
        return layout.resolve("blobs").resolve(parts[0]).resolve(parts[1]);
    }
}
