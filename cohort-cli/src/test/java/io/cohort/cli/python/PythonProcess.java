package io.cohort.cli.python;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Python interpreter (Debian's {@code /usr/bin/python3}) running a script with cohort's Python
 * clients importable, set up as {@code bin/cohort python} would: {@code PYTHONPATH=clients/python},
 * {@code COHORT_COMMAND} the cohort command (here: this test JVM's class path and {@code Main}, since
 * the jar is not built at test time), {@code COHORT_HOME} a temporary folder, and Python workers run
 * by the same Debian interpreter. Its stdout and stderr are kept apart, as text; on {@link #close()}
 * it and everything its sessions started is killed, even when the test failed half way.
 */
final class PythonProcess implements AutoCloseable {
    static final String PYTHON = "/usr/bin/python3";
    private final Process process;
    private final Path home;
    private final StringBuilder out = new StringBuilder();
    private final StringBuilder err = new StringBuilder();
    private final List<Thread> readers = new ArrayList<>();

    private PythonProcess(Process process, Path home) {
        this.process = process;
        this.home = home;
        readers.add(reader(process.getInputStream(), out));
        readers.add(reader(process.getErrorStream(), err));
    }

    /** Runs {@code script} (a file in {@code directory}, the working directory) with {@code args}. */
    static PythonProcess start(Path home, Path directory, String script, Map<String, String> extraEnv, String... args)
            throws IOException {
        // `env --default-signal` undoes a SIG_IGN inherited from whatever started the build; with
        // COHORT_TEST_PROCESS_GROUP=own, setsid makes the interpreter lead a process group, as in a terminal.
        List<String> command = new ArrayList<>();
        if ("own".equals(extraEnv.get("COHORT_TEST_PROCESS_GROUP"))) {
            command.add("setsid");
        }
        command.addAll(List.of("env", "--default-signal=INT,TERM,HUP", PYTHON, "-u", script));
        command.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile());
        pb.environment().putAll(environment(home));
        pb.environment().putAll(extraEnv);
        return new PythonProcess(pb.start(), home);
    }

    /** The environment a Python session needs here (see the class comment). */
    static Map<String, String> environment(Path home) {
        Map<String, String> env = new HashMap<>();
        env.put("PYTHONPATH", repositoryRoot().resolve("clients/python").toString());
        env.put("COHORT_COMMAND", cohortCommand());
        env.put("COHORT_HOME", home.toString());
        env.put("COHORT_KERNEL_PYTHON3", PYTHON);
        env.put("COHORT_STOP_GRACE_SECONDS", "2");
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");  // Debian's python3 first, not a pyenv one
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        return env;
    }

    /** {@code java -cp <this JVM's class path> io.cohort.cli.Main}, quoted for Python's shlex. */
    static String cohortCommand() {
        return String.join(" ", List.of(quote(Path.of(System.getProperty("java.home"), "bin", "java").toString()), "-cp",
                quote(System.getProperty("java.class.path")), "io.cohort.cli.Main"));
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\"'\"'") + "'";
    }

    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("clients/python")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("the repository root (with clients/python) is not above " + Path.of("").toAbsolutePath());
    }

    private static Thread reader(InputStream in, StringBuilder into) {
        Thread t = new Thread(() -> {
            char[] buffer = new char[8192];
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                for (int n; (n = r.read(buffer)) > 0; ) {
                    synchronized (into) {
                        into.append(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
        }, "python-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    long pid() {
        return process.pid();
    }

    java.io.OutputStream stdin() {
        return process.getOutputStream();
    }

    String out() {
        synchronized (out) {
            return out.toString();
        }
    }

    String err() {
        synchronized (err) {
            return err.toString();
        }
    }

    /** Both streams, for failure messages. */
    String describe() {
        return "its stdout:\n" + out() + "\nits stderr:\n" + err();
    }

    /** Waits until its stdout matches {@code pattern}; fails fast, with its output, if it ends first. */
    Matcher awaitOutput(Pattern pattern, Duration atMost) {
        AtomicReference<Matcher> found = new AtomicReference<>();
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(50))
                    .failFast("python ended before printing " + pattern,
                            () -> !process.isAlive() && readers.stream().noneMatch(Thread::isAlive) && !pattern.matcher(out()).find())
                    .until(() -> {
                        Matcher m = pattern.matcher(out());
                        if (m.find()) {
                            found.set(m);
                            return true;
                        }
                        return false;
                    });
        } catch (ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + "; " + describe(), e);
        }
        return found.get();
    }

    /** Waits for it to end and returns its exit code, once its output is all read. */
    int awaitExit(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("python (pid " + process.pid() + ") still runs after " + atMost.toSeconds() + " s; " + describe());
        }
        for (Thread t : readers) {
            t.join(10_000);
        }
        return process.exitValue();
    }

    /** Sends SIGKILL to the interpreter only. */
    void kill() {
        process.destroyForcibly();
    }

    @Override
    public void close() {
        List<ProcessHandle> below = process.descendants().toList();
        process.destroyForcibly();
        below.forEach(ProcessHandle::destroyForcibly);
        killLeftovers(home);
    }

    /**
     * Live processes of session {@code sessionId}: its Python (and the {@code cohort serve} it started),
     * which carry the id as their engine id, and its workers and their children, which carry it as
     * their session's id.
     */
    static List<Long> processesOf(String sessionId) throws IOException {
        return withAnyOf(List.of("CDSW_ENGINE_ID=" + sessionId, "COHORT_SESSION_ID=" + sessionId, "CDSW_MASTER_ID=" + sessionId), false);
    }

    /** Kills what a failed test may have left: everything run with this home or a worker of a session under it. */
    static void killLeftovers(Path home) {
        try {
            for (int round = 0; round < 10; round++) {
                List<Long> found = withAnyOf(List.of("COHORT_HOME=" + home, "COHORT_SESSION_DIR=" + home + "/"), true);
                if (found.isEmpty()) {
                    return;
                }
                for (long pid : found) {
                    ProcessHandle.of(pid).ifPresent(h -> {
                        h.destroyForcibly();
                        h.onExit().completeOnTimeout(h, 500, TimeUnit.MILLISECONDS).join();
                    });
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Long> withAnyOf(List<String> marks, boolean prefix) throws IOException {
        long self = ProcessHandle.current().pid();
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path d : dirs) {
                long pid = Long.parseLong(d.getFileName().toString());
                if (pid == self) {
                    continue;
                }
                try {
                    if (Files.readString(d.resolve("stat")).contains(") Z ")) {
                        continue;
                    }
                    String env = new String(Files.readAllBytes(d.resolve("environ")), StandardCharsets.UTF_8);
                    for (String entry : env.split("\0")) {
                        if (marks.stream().anyMatch(m -> prefix ? entry.startsWith(m) : entry.equals(m))) {
                            pids.add(pid);
                            break;
                        }
                    }
                } catch (IOException e) {
                    // Gone meanwhile, or not ours to read.
                }
            }
        }
        return pids;
    }
}
