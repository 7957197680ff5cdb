package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.local.fixtures.EscapeesMain;
import io.cohort.worker.internal.ProcTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "No orphans" for a user who is not root, so has no writable cgroups: a session's JVM (the
 * {@link EscapeesMain} fixture) runs as an unprivileged user -- {@value #USER}, created here when the
 * tests run as root, as in CI; else the user running the tests -- with {@code local.cgroups=off}.
 * Its workers start children that call {@code setsid} and clear their environment, which no process
 * group, session or environment mark finds. The session JVM is killed with SIGKILL, and none of those
 * children may be left running: each worker's pid namespace takes them with it.
 */
class NoOrphansWithoutRootTest {
    static final String USER = "cohort-test";
    private static final Pattern READY = Pattern.compile("(?m)^READY (\\S+) (\\d+) (\\S+)$");
    private static final Duration READY_WITHIN = Duration.ofSeconds(180);
    private static final Duration GONE_WITHIN = Duration.ofSeconds(15);
    private static final int ESCAPEES = EscapeesMain.WORKERS * EscapeesMain.ESCAPEES_PER_WORKER;

    @TempDir
    Path temp;
    private final String token = Long.toString(ThreadLocalRandom.current().nextLong(100_000_000L, 1_000_000_000L));
    private Path home;
    private ChildProcess sessionJvm;

    @AfterEach
    void killEverythingLeft() {
        if (sessionJvm != null) {
            sessionJvm.close();
        }
        if (home != null) {
            ChildProcess.killLeftovers(home);
        }
        escapees().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void sigkillOfAnUnprivilegedSessionLeavesNoChildThatLeftItsSessionAndEnvironment() throws Exception {
        Running s = start(List.of());
        if (!s.notes().stream().anyMatch(n -> n.startsWith("tree held by a pid namespace"))) {
            String why = "this host makes no pid namespace for an unprivileged user; w1's notes: " + s.notes();
            // CI must prove it; a developer's machine that forbids user namespaces may skip.
            assertThat(System.getenv("CI")).as(why).isNotEqualTo("true");
            Assumptions.abort(why);
        }

        ChildProcess.signal("KILL", s.jvmPid());

        assertThat(sessionJvm.awaitExit(Duration.ofSeconds(60))).isEqualTo(128 + 9);
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.describe(escapees())).as("escaped children of session %s left running", s.id()).isEmpty());
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.describe(Fixtures.survivors(s.id()))).as("processes of session %s left", s.id()).isEmpty());
        List<Long> live = ProcTable.read().stream().map(ProcTable.Entry::pid).toList();
        assertThat(live).as("live processes").doesNotContainAnyElementsOf(s.workerPids());
    }

    /** The control: without the namespace, the same children do escape every sweep, so the test above can see them. */
    @Test
    void withThePidNamespaceOffTheSameChildrenOutliveTheSession() throws Exception {
        Running s = start(List.of("-Dcohort." + PidNamespaces.SETTING + "=off"));
        assertThat(s.notes()).anyMatch(n -> n.startsWith("tree not held") && n.contains(PidNamespaces.SETTING + "=off"));

        ChildProcess.signal("KILL", s.jvmPid());

        assertThat(sessionJvm.awaitExit(Duration.ofSeconds(60))).isEqualTo(128 + 9);
        // The guard ends what it can find: the workers and their marked children.
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.describe(Fixtures.survivors(s.id()))).as("processes of session %s left", s.id()).isEmpty());
        assertThat(escapees()).as("escaped children still running after the guard's sweep").hasSize(2 * ESCAPEES);
    }

    record Running(String id, long jvmPid, List<Long> workerPids, List<String> notes) {
    }

    /**
     * Starts the fixture as the unprivileged user and waits until every escapee runs outside every
     * worker's process session, with no cohort variable in its environment.
     */
    private Running start(List<String> jvmOptions) throws Exception {
        List<String> command = new ArrayList<>();
        String classPath = Fixtures.classPath();
        home = temp.resolve("home");
        Files.createDirectories(home);
        if (isRoot()) {
            UserPrincipal user = unprivilegedUser();
            command.addAll(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--reset-env"));
            classPath = readableCopy(classPath, temp.resolve("classpath"));
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setOwner(home, user);
        }
        List<String> options = new ArrayList<>(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dcohort.local.cgroups=off"));
        options.addAll(jvmOptions);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.addAll(List.of("-cp", classPath, EscapeesMain.class.getName(), home.toString(), token));
        sessionJvm = ChildProcess.start(command, home);

        Matcher ready = sessionJvm.awaitOutput(READY, READY_WITHIN);
        long jvm = Long.parseLong(ready.group(2));
        List<Long> workers = Arrays.stream(ready.group(3).split(",")).map(Long::parseLong).toList();
        List<String> notes = sessionJvm.text().lines().filter(l -> l.startsWith("NOTE ")).map(l -> l.substring(5)).toList();
        assertThat(workers).hasSize(EscapeesMain.WORKERS);
        assertThat(uid(jvm)).as("uid of the session JVM").isNotZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Long> found = escapees();
            // Each escapee is a shell and its sleep.
            assertThat(found).as("escaped children").hasSize(2 * ESCAPEES);
            for (ProcTable.Entry e : ProcTable.read()) {
                if (found.contains(e.pid())) {
                    assertThat(workers).as("process sessions of the workers").doesNotContain(e.session());
                    assertThat(environment(e.pid())).as("environment of escapee %d", e.pid()).doesNotContain("COHORT_");
                }
            }
        });
        return new Running(ready.group(1), jvm, workers, notes);
    }

    /** The escapees of this test: live processes whose command line is {@code sh -c 'sleep 600.TOKEN & wait'} or {@code sleep 600.TOKEN}. */
    private List<Long> escapees() {
        List<String> argvs = List.of("sh\0-c\0sleep 600." + token + " & wait\0", "sleep\0" + "600." + token + "\0");
        return ProcTable.read().stream().map(ProcTable.Entry::pid).filter(pid -> argvs.contains(read(pid, "cmdline"))).toList();
    }

    private static boolean isRoot() throws IOException {
        return uid(ProcessHandle.current().pid()) == 0;
    }

    /** The unprivileged user, created (with useradd) if this machine has none yet. */
    private static UserPrincipal unprivilegedUser() throws Exception {
        Process id = new ProcessBuilder("id", "-u", USER).redirectErrorStream(true).start();
        if (!id.waitFor(30, TimeUnit.SECONDS) || id.exitValue() != 0) {
            Process add = new ProcessBuilder("useradd", "--create-home", "--user-group", USER).redirectErrorStream(true).start();
            String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // 9: created meanwhile by a concurrent build.
            assertThat(add.waitFor(60, TimeUnit.SECONDS) && (add.exitValue() == 0 || add.exitValue() == 9))
                    .as("useradd %s: %s", USER, out).isTrue();
        }
        return Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
    }

    /**
     * A copy of the class path that any user can read (a root's Maven repository is not): each
     * folder and jar copied under {@code into}, world-readable.
     */
    private static String readableCopy(String classPath, Path into) throws IOException {
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = into.resolve(i++ + "-" + from.getFileName());
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : files.toList()) {
                    Path target = to.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            entries.add(to.toString());
        }
        try (Stream<Path> all = Files.walk(into)) {
            for (Path p : all.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** The real uid of a process (the first number of the Uid: line). */
    private static long uid(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no Uid: line for pid " + pid);
    }

    private static String environment(long pid) {
        return read(pid, "environ");
    }

    private static String read(long pid, String file) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), file)), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
