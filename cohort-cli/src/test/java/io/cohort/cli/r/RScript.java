package io.cohort.cli.r;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an R script with Rscript as {@code bin/cohort r} does: R_PROFILE_USER is clients/r/profile.R
 * and COHORT_COMMAND runs cohort's Main from this test's class path (the jar is not built at test
 * time). Sessions live under a temporary COHORT_HOME; stdout and stderr go to files in the
 * script's directory, so a test can watch them while R runs.
 */
final class RScript {
    static final Path CLIENTS = locateClients();
    static final Path PROFILE = CLIENTS.resolve("r").resolve("profile.R");

    final Path directory;
    final Path home;
    final Map<String, String> env = new LinkedHashMap<>();

    RScript(Path directory) {
        this.directory = directory;
        this.home = directory.resolve("home");
        env.put("COHORT_COMMAND", cohortCommand(home));
        env.put("R_PROFILE_USER", PROFILE.toString());
        env.put("COHORT_HOME", home.toString());
    }

    /** The command line that runs cohort in a JVM of its own, sessions under {@code home}. */
    static String cohortCommand(Path home) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return quote(java) + " -Dcohort.home=" + quote(home.toString()) + " -cp " + quote(System.getProperty("java.class.path"))
                + " io.cohort.cli.Main";
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Writes a file into the script's directory. */
    RScript file(String name, String text) {
        try {
            Files.writeString(directory.resolve(name), text);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RScript env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Starts Rscript on the script (a file already written) with args. */
    Process start(String script, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of("Rscript", script));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile())
                .redirectOutput(directory.resolve("stdout.txt").toFile())
                .redirectError(directory.resolve("stderr.txt").toFile());
        pb.environment().remove("COHORT_SESSION");
        pb.environment().remove("COHORT_API");
        pb.environment().remove("COHORT_TOKEN");
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Runs the script to its end (at most {@code seconds}). */
    Result run(String script, int seconds) throws Exception {
        Process p = start(script);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("Rscript " + script + " ran longer than " + seconds + " s; stdout:\n" + stdout() + "\nstderr:\n" + stderr());
        }
        return new Result(p.exitValue(), stdout(), stderr());
    }

    String stdout() {
        return read("stdout.txt");
    }

    String stderr() {
        return read("stderr.txt");
    }

    private String read(String name) {
        try {
            Path f = directory.resolve(name);
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Result(int exitCode, String stdout, String stderr) {
        List<String> lines() {
            return stdout.lines().toList();
        }

        @Override
        public String toString() {
            return "exit code " + exitCode + "\n--- stdout:\n" + stdout + "\n--- stderr:\n" + stderr;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Path locateClients() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("clients").resolve("MANIFEST"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find clients/MANIFEST above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("clients");
    }
}
