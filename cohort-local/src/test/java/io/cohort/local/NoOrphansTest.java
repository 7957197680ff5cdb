package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.local.fixtures.SessionMain;
import io.cohort.worker.internal.ProcTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "No orphans, ever": a session's JVM (the {@link SessionMain} fixture, a real child JVM) launches
 * workers that sleep and spawn children -- one escaping into a process session of its own, one a
 * nested shell -- and then ends in each way a session can end. Every process of every worker must
 * be gone from the process table within a few seconds, and so must the session's guard and cgroups.
 */
class NoOrphansTest {
    private static final Pattern READY = Pattern.compile("(?m)^READY (\\S+) (\\S+)$");
    private static final Duration READY_WITHIN = Duration.ofSeconds(180);
    private static final Duration GONE_WITHIN = Duration.ofSeconds(15);
    /** A JVM running its shutdown hooks stops workers with a 2 s grace; allow for a slow, busy machine. */
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path home;
    private ChildProcess sessionJvm;

    @AfterEach
    void killEverythingLeft() {
        if (sessionJvm != null) {
            sessionJvm.close();
        }
        ChildProcess.killLeftovers(home);
    }

    @Test
    void normalExitOfMainLeavesNothing() throws Exception {
        Running s = start("exit", false, List.of());

        sessionJvm.type("end");
        int exit = sessionJvm.awaitExit(EXIT_WITHIN);

        assertThat(exit).as("exit code of the session JVM; output:\n%s", sessionJvm.text()).isZero();
        assertEverythingGone(s);
        assertTheSessionStoppedItsOwnWorkers(s);
    }

    @Test
    void anExceptionOutOfMainLeavesNothing() throws Exception {
        Running s = start("exception", true, List.of());

        sessionJvm.type("end");
        int exit = sessionJvm.awaitExit(EXIT_WITHIN);

        assertThat(exit).as("exit code of the session JVM; output:\n%s", sessionJvm.text()).isEqualTo(1);
        assertThat(sessionJvm.text()).contains(SessionMain.EXCEPTION_MESSAGE);
        assertEverythingGone(s);
        assertTheSessionStoppedItsOwnWorkers(s);
    }

    @Test
    void sigintLeavesNothing() throws Exception {
        Running s = start("wait", false, List.of());
        assertThat(signalIgnored(sessionJvm.pid(), 2)).as("SIGINT is ignored by the session JVM: the test would prove nothing").isFalse();

        sessionJvm.signal("INT");

        assertThat(sessionJvm.awaitExit(EXIT_WITHIN)).isEqualTo(128 + 2);
        assertEverythingGone(s);
        assertTheSessionStoppedItsOwnWorkers(s);
    }

    @Test
    void sigtermLeavesNothing() throws Exception {
        Running s = start("wait", true, List.of());

        sessionJvm.signal("TERM");

        assertThat(sessionJvm.awaitExit(EXIT_WITHIN)).isEqualTo(128 + 15);
        assertEverythingGone(s);
        assertTheSessionStoppedItsOwnWorkers(s);
    }

    @Test
    void sigkillLeavesNothing() throws Exception {
        Running s = start("wait", true, List.of());

        sessionJvm.signal("KILL");

        assertThat(sessionJvm.awaitExit(EXIT_WITHIN)).isEqualTo(128 + 9);
        assertEverythingGone(s);
        assertTheGuardStoppedTheWorkers(s);
    }

    @Test
    void sigkillWithoutCgroupsLeavesNothing() throws Exception {
        Running s = start("wait", false, List.of("-Dcohort.local.cgroups=off"));
        assertThat(s.notes()).anyMatch(n -> n.startsWith("memory watched by RSS"));
        assertThat(s.cgroupsBefore()).as("no cgroup folders with cgroups off").isEmpty();

        sessionJvm.signal("KILL");

        assertThat(sessionJvm.awaitExit(EXIT_WITHIN)).isEqualTo(128 + 9);
        assertEverythingGone(s);
        assertTheGuardStoppedTheWorkers(s);
    }

    /** What a running session looked like before it was ended. */
    record Running(String id, List<Long> workerPids, List<String> notes, List<Path> cgroupsBefore) {
    }

    /**
     * Starts the session JVM and checks that every worker and every child it spawned exists -- the
     * escaped one in a process session of its own -- before the test ends the session.
     */
    private Running start(String mode, boolean javaWorker, List<String> jvmOptions) throws Exception {
        List<String> options = new ArrayList<>(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        options.addAll(jvmOptions);
        List<String> args = new ArrayList<>(List.of(home.toString(), mode));
        if (javaWorker) {
            args.add("java");
        }
        sessionJvm = ChildProcess.start(ChildProcess.java(options, SessionMain.class, args.toArray(String[]::new)), home);
        Matcher ready = sessionJvm.awaitOutput(READY, READY_WITHIN);
        String id = ready.group(1);
        List<Long> workerPids = Arrays.stream(ready.group(2).split(",")).map(Long::parseLong).toList();
        List<String> notes = sessionJvm.text().lines().filter(l -> l.startsWith("NOTE ")).map(l -> l.substring(5)).toList();

        int shellWorkers = 2;
        int expected = shellWorkers * SessionMain.PROCESSES_PER_SHELL_WORKER
                + (javaWorker ? SessionMain.PROCESSES_PER_JAVA_WORKER : 0);
        assertThat(workerPids).hasSize(javaWorker ? 3 : 2);
        // Awaited: a child counts as the session's from its fork, a little before it runs `setsid` or `sleep`.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<ProcTable.Entry> table = ProcTable.read();
            Set<Long> survivors = Set.copyOf(Fixtures.survivors(id));
            assertThat(survivors).as("processes of session %s", id).hasSizeGreaterThanOrEqualTo(expected).containsAll(workerPids);
            // Workers lead process sessions of their own, apart from the session JVM's.
            long jvmSession = entry(table, sessionJvm.pid()).map(ProcTable.Entry::session).orElseThrow();
            for (long pid : workerPids) {
                assertThat(entry(table, pid)).get().extracting(ProcTable.Entry::session).isEqualTo(pid).isNotEqualTo(jvmSession);
            }
            // The escapees: one `setsid sleep` per shell worker, outside every worker's process session.
            List<Long> escaped = table.stream()
                    .filter(e -> survivors.contains(e.pid()) && !workerPids.contains(e.session()))
                    .map(ProcTable.Entry::pid).toList();
            assertThat(escaped).as("children that left their worker's process session").hasSizeGreaterThanOrEqualTo(shellWorkers);
        });

        List<Path> cgroups = Fixtures.cgroupFolders(id);
        if (notes.stream().anyMatch(n -> n.contains("by cgroup"))) {
            assertThat(cgroups).as("the session's cgroup folders, as its workers' notes say %s", notes).isNotEmpty();
            assertThat(cgroups.get(0).resolve("w1")).isDirectory();
        }
        assertThat(guards(id)).as("the session's orphan guard").hasSize(1);
        return new Running(id, workerPids, notes, cgroups);
    }

    private void assertEverythingGone(Running s) {
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.describe(Fixtures.survivors(s.id()))).as("processes of session %s left", s.id()).isEmpty());
        // Not in the process table, not even under another session id (zombies awaiting their reaper are gone enough).
        List<Long> live = ProcTable.read().stream().map(ProcTable.Entry::pid).toList();
        assertThat(live).as("live processes").doesNotContainAnyElementsOf(s.workerPids());
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(guards(s.id())).as("the session's orphan guard").isEmpty());
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.cgroupFolders(s.id())).as("the session's cgroup folders").isEmpty());
    }

    /** A JVM that ends normally or by a catchable signal runs the session's shutdown hook, which stops the workers itself. */
    private void assertTheSessionStoppedItsOwnWorkers(Running s) throws Exception {
        String out = sessionJvm.text();
        for (int i = 1; i <= s.workerPids().size(); i++) {
            assertThat(out).as("the session JVM's console").contains("[w" + i + "] -- stopped: the session closed");
        }
        assertThat(guardLog(s)).as("guard.log: the guard had nothing left to kill").doesNotContain("ended with workers running");
    }

    /** Nothing runs in a JVM killed by SIGKILL: the guard must have done it. */
    private void assertTheGuardStoppedTheWorkers(Running s) throws Exception {
        assertThat(sessionJvm.text()).doesNotContain("stopped: the session closed");
        assertThat(guardLog(s)).containsPattern("session " + s.id() + "-[0-9a-f]+ ended with workers running: stopping them");
    }

    private String guardLog(Running s) throws Exception {
        Path log = home.resolve(s.id()).resolve("guard.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The guard of a session: `setsid bash HOME/ID/guard.sh ID ...`. */
    private List<Long> guards(String id) {
        String script = home.resolve(id).resolve("guard.sh").toString();
        return ProcessHandle.allProcesses()
                .filter(h -> h.info().arguments().map(a -> a.length > 1 && a[0].equals(script) && a[1].startsWith(id + "-")).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    private static Optional<ProcTable.Entry> entry(List<ProcTable.Entry> table, long pid) {
        return table.stream().filter(e -> e.pid() == pid).findFirst();
    }

    /** Whether {@code pid} ignores signal number {@code signal} (the SigIgn mask of /proc/PID/status). */
    private static boolean signalIgnored(long pid, int signal) throws Exception {
        String mask = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("SigIgn:")).map(l -> l.substring(7).trim()).collect(Collectors.joining());
        return (Long.parseUnsignedLong(mask, 16) & (1L << (signal - 1))) != 0;
    }
}
