package io.cohort.local;

import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.worker.internal.ProcTable;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Opens real sessions for tests, with their console captured, and counts their processes. */
final class Fixtures {
    private Fixtures() {
    }

    /** A console that tests can read while workers write to it. */
    static final class Console {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        String text() {
            synchronized (stream) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }

        List<String> lines() {
            return text().lines().toList();
        }
    }

    static SessionOptions.Builder options(Path home, Console console) {
        return SessionOptions.builder()
                .home(home)
                .console(console.stream)
                .stopGrace(Duration.ofSeconds(2))
                .cpuOvercommit(64);
    }

    static Session open(Path home, Console console) {
        return Session.open(options(home, console).build());
    }

    /** Live processes (not zombies) whose environment carries the session's id. */
    static List<Long> survivors(String sessionId) {
        String mark = "COHORT_SESSION_ID=" + sessionId;
        return ProcTable.read().stream().map(ProcTable.Entry::pid)
                .filter(pid -> ProcTable.hasVariable(pid, mark)).toList();
    }

    /**
     * The session's cgroup folders that exist now. Each run of a session makes them under its JVM's
     * own cgroups (cohort-ID-RUN), and a child JVM started by the test shares the test JVM's cgroups.
     */
    static List<Path> cgroupFolders(String sessionId) {
        List<Path> parents = new ArrayList<>();
        Cgroups.ownCgroup("cgroup", "memory").ifPresent(parents::add);
        Cgroups.ownCgroup("cgroup", "cpu").ifPresent(parents::add);
        Cgroups.ownCgroup("cgroup2", "").ifPresent(parents::add);
        List<Path> dirs = new ArrayList<>();
        for (Path parent : parents) {
            try (var list = Files.list(parent)) {
                list.filter(d -> d.getFileName().toString().startsWith("cohort-" + sessionId + "-") && Files.isDirectory(d))
                        .forEach(dirs::add);
            } catch (java.io.IOException e) {
                // No such hierarchy here.
            }
        }
        return dirs;
    }

    /** Live processes whose command line names {@code path} (a session JVM or JShell agent given it as cohort.home, a guard). */
    static List<Long> processesNaming(Path path) {
        String name = path.toString();
        long self = ProcessHandle.current().pid();
        return ProcTable.read().stream().map(ProcTable.Entry::pid)
                .filter(pid -> pid != self)
                .filter(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).map(c -> c.contains(name)).orElse(false))
                .toList();
    }

    /** Pids with their command lines, for failure messages. */
    static List<String> describe(List<Long> pids) {
        return pids.stream().map(p -> p + " " + ProcessHandle.of(p).flatMap(h -> h.info().commandLine()).orElse("?")).toList();
    }

    /** Java source for a class path entry list of this test JVM, for child JVMs. */
    static String classPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> BROWSER_ONLY.stream().noneMatch(entry::contains))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    /**
     * The libraries only the dashboard's browser tests use (Selenium and what it brings): no child
     * process needs them, and with them a child JVM's command line grows past the 4 KiB that the
     * JDK's {@code ProcessHandle.Info} reads of it on Linux, so its arguments could no longer be
     * read (JShellTest finds jshell's agent by them).
     */
    private static final List<String> BROWSER_ONLY = List.of("/org/seleniumhq/", "/io/opentelemetry/", "/com/google/guava/",
            "/com/google/errorprone/", "/com/google/j2objc/", "/org/jspecify/", "/org/jetbrains/");
}
