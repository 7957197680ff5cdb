package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.worker.internal.ProcTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session as users meet it: a real jshell, typed into through a pipe, using the static
 * {@code Workers} facade. JShell runs snippets in a separate "remote agent" JVM (a child of the
 * jshell front-end), so that agent is the session's JVM: it opens the default session and its
 * shutdown hook and guard are what must clean up.
 */
class JShellTest {
    /** Each worker ticks three times, then leaves a `setsid sleep` (its own process session) and a sleep. */
    private static final String LAUNCH = "var ws = launchWorkers(2, 0.2, 0.3,"
            + " \"!for i in 1 2 3; do echo tick $i; sleep 0.3; done; setsid sleep 300 & sleep 300\");";
    private static final int PROCESSES_PER_WORKER = 3;
    private static final Duration STARTUP = Duration.ofSeconds(180);
    private static final Duration GONE_WITHIN = Duration.ofSeconds(15);

    @TempDir
    Path home;
    private ChildProcess jshell;

    @AfterEach
    void killEverythingLeft() {
        if (jshell != null) {
            jshell.close();
        }
        ChildProcess.killLeftovers(home);
    }

    @Test
    void workerOutputReachesThePromptAndExitLeavesNothing() throws Exception {
        String id = startSessionInJShell();

        jshell.type("/exit");

        assertThat(jshell.awaitExit(Duration.ofSeconds(60))).as("jshell's exit code; its output:\n%s", jshell.text()).isZero();
        assertEverythingGone(id);
        // The agent's shutdown hook stopped the workers itself (jshell no longer relays the agent's
        // output by then, so only the guard's log tells): the guard found nothing left to kill.
        assertThat(guardLog(id)).doesNotContain("ended with workers running");
    }

    @Test
    void sigkillOfTheJShellFrontEndLeavesNothing() throws Exception {
        String id = startSessionInJShell();
        long agent = agent();

        jshell.signal("KILL");

        assertThat(jshell.awaitExit(Duration.ofSeconds(60))).isEqualTo(128 + 9);
        // The agent loses its connection to the front-end, ends, and takes its workers with it.
        await().atMost(GONE_WITHIN).until(() -> ProcTable.read().stream().noneMatch(e -> e.pid() == agent));
        assertEverythingGone(id);
    }

    @Test
    void sigkillOfTheJShellFrontEndAndItsAgentLeavesNothing() throws Exception {
        String id = startSessionInJShell();
        long agent = agent();

        // One kill(1) for both, so that neither can react (restart an agent, run a hook) before the other dies.
        ChildProcess.signal("KILL", agent, jshell.pid());

        assertThat(jshell.awaitExit(Duration.ofSeconds(60))).isEqualTo(128 + 9);
        assertEverythingGone(id);
        // Nothing ran in the agent after SIGKILL: the guard did the work.
        assertThat(guardLog(id)).containsPattern("session " + id + "-[0-9a-f]+ ended with workers running: stopping them");
    }

    /**
     * Starts jshell, launches two workers from it and, without awaiting them, sees their output at
     * the prompt; then checks the prompt still evaluates, and that the workers and their children
     * exist. Returns the session's id.
     */
    private String startSessionInJShell() throws Exception {
        String tool = Path.of(System.getProperty("java.home"), "bin", "jshell").toString();
        jshell = ChildProcess.start(List.of(tool, "--class-path", Fixtures.classPath(),
                "-J-Xmx256m", "-R-Xmx256m", "-R-Dcohort.home=" + home), home);

        jshell.type("import static io.cohort.Workers.*;");
        jshell.type(LAUNCH);
        // Nothing more is typed: the ticks must reach the console while jshell waits at its prompt.
        jshell.awaitOutput(Pattern.compile("\\[w1] tick 3"), STARTUP);
        jshell.awaitOutput(Pattern.compile("\\[w2] tick 3"), STARTUP);
        assertThat(jshell.text()).contains("ws ==> [w1 running", "[w1] tick 1", "[w2] tick 2");

        jshell.type("int x = 40 + 2;");
        jshell.awaitOutput(Pattern.compile("x ==> 42"), Duration.ofSeconds(60));

        jshell.type("System.out.println(\"SID \" + session().id());");
        String id = jshell.awaitOutput(Pattern.compile("SID ([a-z2-9]{8})\\b"), Duration.ofSeconds(60)).group(1);
        assertThat(Files.isDirectory(home.resolve(id))).as("the session lives under -Dcohort.home").isTrue();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(Fixtures.survivors(id)).as("processes of session %s", id).hasSizeGreaterThanOrEqualTo(2 * PROCESSES_PER_WORKER));
        return id;
    }

    /** The remote agent: the one process below jshell given -Dcohort.home (the guard names the home only as a path). */
    private long agent() {
        String flag = "-Dcohort.home=" + home;
        List<Long> agents = jshell.process().descendants()
                .filter(h -> h.info().arguments().map(a -> List.of(a).contains(flag)).orElse(false))
                .map(ProcessHandle::pid).toList();
        assertThat(agents).as("jshell's remote agent JVM").hasSize(1);
        return agents.get(0);
    }

    private void assertEverythingGone(String id) {
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.describe(Fixtures.survivors(id))).as("processes of session %s left", id).isEmpty());
        // The agent JVM and the guard both name the home on their command lines.
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.describe(Fixtures.processesNaming(home))).as("the agent and the guard").isEmpty());
        await().atMost(GONE_WITHIN).untilAsserted(() ->
                assertThat(Fixtures.cgroupFolders(id)).as("the session's cgroup folders").isEmpty());
    }

    private String guardLog(String id) throws Exception {
        Path log = home.resolve(id).resolve("guard.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
