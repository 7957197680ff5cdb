package io.cohort.local;

import static org.awaitility.Awaitility.await;

import io.cohort.worker.internal.ProcTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A process a test started (a session's JVM, jshell): its stdout and stderr merged and kept as
 * text, its stdin a pipe the test writes to, and on {@link #close()} it and everything it started
 * is killed, even when the test failed half way.
 */
final class ChildProcess implements AutoCloseable {
    private final Process process;
    private final Path home;
    private final StringBuilder text = new StringBuilder();
    private final OutputStream stdin;
    private final Thread reader;

    private ChildProcess(Process process, Path home) {
        this.process = process;
        this.home = home;
        this.stdin = process.getOutputStream();
        this.reader = new Thread(() -> copy(process.getInputStream()), "child-output-" + process.pid());
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /**
     * Starts {@code command} with stderr merged into stdout. {@code home} is the cohort home its
     * sessions use: on close, every process whose command line names it, or whose environment says
     * it is a worker of a session there, is killed.
     */
    static ChildProcess start(List<String> command, Path home) throws IOException {
        // `env --default-signal` undoes a SIG_IGN inherited from whatever started the build (nohup, a
        // background job): a JVM that starts with SIGINT ignored keeps it ignored and never sees Ctrl-C.
        List<String> full = new ArrayList<>(List.of("env", "--default-signal=INT,TERM,HUP"));
        full.addAll(command);
        return new ChildProcess(new ProcessBuilder(full).redirectErrorStream(true).start(), home);
    }

    /** {@code java <jvmOptions> -cp <this test JVM's class path> <mainClass> <args>}. */
    static List<String> java(List<String> jvmOptions, Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(Fixtures.classPath());
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    /** Everything it has written so far. */
    String text() {
        synchronized (text) {
            return text.toString();
        }
    }

    /** Waits until its output matches {@code pattern}; fails fast, with its output, if it ends first. */
    Matcher awaitOutput(Pattern pattern, Duration atMost) {
        AtomicReference<Matcher> found = new AtomicReference<>();
        try {
            await().atMost(atMost)
                    .failFast("the process ended before printing " + pattern, () -> !process.isAlive() && !reader.isAlive()
                            && !pattern.matcher(text()).find())
                    .until(() -> {
                        Matcher m = pattern.matcher(text());
                        if (m.find()) {
                            found.set(m);
                            return true;
                        }
                        return false;
                    });
        } catch (ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + "; its output so far:\n" + text(), e);
        }
        return found.get();
    }

    /** Types a line on its stdin. */
    void type(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** Sends a signal (INT, TERM, KILL ...) to this process only, with kill(1). */
    void signal(String name) throws IOException, InterruptedException {
        signal(name, process.pid());
    }

    /** Sends a signal to the given processes with one kill(1), so that none of them can react before the others get it. */
    static void signal(String name, long... pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + name));
        for (long pid : pids) {
            command.add(Long.toString(pid));
        }
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + out);
        }
    }

    /** Waits for it to end and returns its exit code (128 + n for signal n). */
    int awaitExit(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("pid " + process.pid() + " still runs " + atMost.toSeconds()
                    + " s after it was told to end; its output:\n" + text());
        }
        // Let the reader take in the last output.
        reader.join(10_000);
        return process.exitValue();
    }

    /** Kills it, everything below it, and every process of the sessions under {@code home}. */
    @Override
    public void close() {
        List<ProcessHandle> below = process.descendants().toList();
        process.destroyForcibly();
        below.forEach(ProcessHandle::destroyForcibly);
        killLeftovers(home);
        try {
            process.waitFor(30, TimeUnit.SECONDS);
            stdin.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // Already closed.
        }
    }

    /**
     * Kills what a failed test may have left: processes whose command line names {@code home} (a
     * session JVM, a JShell agent, a guard) and workers whose environment places their session
     * under it (COHORT_SESSION_DIR=home/...); then removes those sessions' cgroup folders.
     */
    static void killLeftovers(Path home) {
        String name = home.toString();
        byte[] dirMark = ("COHORT_SESSION_DIR=" + name + "/").getBytes(StandardCharsets.UTF_8);
        long self = ProcessHandle.current().pid();
        for (int round = 0; round < 20; round++) {
            List<ProcessHandle> found = new ArrayList<>();
            for (ProcTable.Entry e : ProcTable.read()) {
                if (e.pid() == self) {
                    continue;
                }
                boolean named = read(e.pid(), "cmdline").contains(name);
                if (named || hasEntryStartingWith(e.pid(), dirMark)) {
                    ProcessHandle.of(e.pid()).ifPresent(found::add);
                }
            }
            if (found.isEmpty()) {
                break;
            }
            found.forEach(ProcessHandle::destroyForcibly);
            found.forEach(h -> h.onExit().completeOnTimeout(h, 500, TimeUnit.MILLISECONDS).join());
        }
        removeCgroupFolders(home);
    }

    /** Removes the cgroup folders of every session under {@code home} (a killed guard leaves them behind). */
    private static void removeCgroupFolders(Path home) {
        try (Stream<Path> sessions = Files.list(home)) {
            for (Path session : sessions.filter(Files::isDirectory).toList()) {
                for (Path folder : Fixtures.cgroupFolders(session.getFileName().toString())) {
                    try (Stream<Path> workers = Files.list(folder)) {
                        workers.filter(Files::isDirectory).forEach(ChildProcess::removeQuietly);
                    } catch (IOException e) {
                        // Gone meanwhile.
                    }
                    removeQuietly(folder);
                }
            }
        } catch (IOException e) {
            // No home (any more): nothing to remove.
        }
    }

    /** rmdir: a cgroup folder goes once no process is left in it, its control files with it. */
    private static void removeQuietly(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // Still busy; nothing more a clean-up can do.
        }
    }

    private static String read(long pid, String file) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), file)), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static boolean hasEntryStartingWith(long pid, byte[] prefix) {
        byte[] env;
        try {
            env = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start >= prefix.length && java.util.Arrays.equals(env, start, start + prefix.length, prefix, 0, prefix.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    private void copy(InputStream in) {
        char[] buffer = new char[8192];
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            int n;
            while ((n = r.read(buffer)) >= 0) {
                synchronized (text) {
                    text.append(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // The process is gone.
        }
    }
}
