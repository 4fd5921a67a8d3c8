package uk.e42.tandem.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Finding and running the external programs that end-to-end tests check Tandem with. */
public final class Tools {
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/lib/drbd", "/usr/lib/drbd");
    private static Boolean netnsWorks;

    private Tools() {
    }

    public static Optional<Path> find(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(EXTRA_DIRS);
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
                .filter(Files::isExecutable).findFirst();
    }

    /** The tool's absolute path; fails the test if it is missing (use {@link E2e} to skip first). */
    public static String path(String name) {
        return find(name).orElseThrow(() -> new IllegalStateException(name + " is not installed")).toString();
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static synchronized boolean canCreateNetns() {
        if (netnsWorks == null) {
            String probe = "tandem-probe-" + ProcessHandle.current().pid();
            netnsWorks = run("ip", "netns", "add", probe).exitCode() == 0;
            if (netnsWorks) {
                run("ip", "netns", "delete", probe);
            }
        }
        return netnsWorks;
    }

    /** Runs a command to completion (at most 10 minutes), capturing stdout and stderr. */
    public static Result run(String... command) {
        return run(List.of(command), null);
    }

    public static Result run(List<String> command, Path workDir) {
        try {
            Path out = Files.createTempFile("tandem-tool", ".out");
            Path err = Files.createTempFile("tandem-tool", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
                        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                if (workDir != null) {
                    builder.directory(workDir.toFile());
                }
                Process process = builder.start();
                if (!process.waitFor(10, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish in 10 minutes");
                }
                return new Result(command, process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(command, 127, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        /** Returns this result, or fails with the command, its exit code and what it printed. */
        public Result orFail() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exitCode + "\nstdout:\n" + stdout
                        + "\nstderr:\n" + stderr);
            }
            return this;
        }
    }
}
