package uk.e42.tandem.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's {@code tandem} launcher, which runs the packaged application. */
final class Launcher {
    private Launcher() {
    }

    static Path path() {
        Path project = Path.of(System.getProperty("tandem.project.dir", System.getProperty("user.dir")));
        Path launcher = project.resolve("tandem");
        if (!Files.isExecutable(launcher) || !Files.exists(project.resolve("target/quarkus-app/quarkus-run.jar"))) {
            throw new IllegalStateException("end-to-end tests need the packaged application: run them with "
                    + "./mvnw verify (failsafe runs *IT after package); looked for " + launcher);
        }
        return launcher;
    }
}
