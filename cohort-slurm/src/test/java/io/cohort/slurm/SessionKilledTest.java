package io.cohort.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.slurm.fixtures.SlurmSessionMain;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session JVM killed with SIGKILL leaves no job in Slurm: its guard cancels them at once, and
 * without the guard (as when the session's whole machine is lost) each agent ends its own job once
 * the session has not answered for the give-up time, whichever agent it runs.
 */
class SessionKilledTest {
    @TempDir
    Path home;

    @Test
    void theGuardCancelsEveryJobRunningOrPendingWhenTheSessionIsKilled() throws Exception {
        String session = killSession("on", 10_000, "auto", new java.util.ArrayList<>());
        // The guard reacts to the JVM's death at once: well before any agent could give up.
        await().atMost(Duration.ofSeconds(8)).untilAsserted(() -> assertThat(TestSlurm.liveJobs(session)).isEmpty());
    }

    @Test
    void withoutTheGuardEachPythonAgentEndsItsJobWithinTheGiveUpTime() throws Exception {
        agentsGiveUp("python");
    }

    @Test
    void withoutTheGuardEachJavaAgentEndsItsJobWithinTheGiveUpTime() throws Exception {
        agentsGiveUp("java");
    }

    private void agentsGiveUp(String agent) throws Exception {
        long giveUp = 3_000;
        List<String> running = new java.util.ArrayList<>();
        String session = killSession("off", giveUp, agent, running);
        long killed = System.nanoTime();
        assertThat(running).hasSize(Runtime.getRuntime().availableProcessors());
        // Nothing cancels them: the running jobs outlive the session until their agents give up.
        assertThat(ids(TestSlurm.liveJobs(session))).containsAll(running);
        // The documented bound: the give-up time, plus the 2 s grace for the program, plus Slurm's own end of the job.
        await().atMost(Duration.ofMillis(giveUp + 2_000 + 10_000)).untilAsserted(() ->
                assertThat(ids(TestSlurm.liveJobs(session))).doesNotContainAnyElementsOf(running));
        long ended = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertThat(ended).as("the running jobs ended %d ms after the kill", ended).isGreaterThanOrEqualTo(giveUp - 1_000);
        // The job still pending when its session died starts then, finds no session, and ends by itself.
        await().atMost(Duration.ofMillis(giveUp + 2_000 + 15_000)).untilAsserted(() ->
                assertThat(TestSlurm.liveJobs(session)).isEmpty());
        assertThat(TestSlurm.allJobs(session)).hasSize(running.size() + 1);
        // Each running job's agent ended its program itself, and said why in its job's output.
        List<String> said;
        try (var files = java.nio.file.Files.walk(home)) {
            said = files.filter(f -> f.toString().endsWith(".out") && f.getParent().getFileName().toString().equals("slurm"))
                    .map(f -> {
                        try {
                            return java.nio.file.Files.readString(f);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).filter(t -> t.contains("the session did not answer for " + giveUp + " ms; ending the program")).toList();
        }
        assertThat(said).hasSize(running.size());
    }

    private static List<String> ids(List<String> jobs) {
        return jobs.stream().map(j -> j.split(" ")[0]).toList();
    }

    /** Starts a session JVM with running and pending jobs, kills it with SIGKILL, and returns its id. */
    private String killSession(String guard, long giveUpMillis, String agent, List<String> runningJobs) throws Exception {
        Path conf = TestSlurm.conf();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), SlurmSessionMain.class.getName(), home.toString(), conf.toString(),
                guard, Long.toString(giveUpMillis), agent);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            String line;
            String session = null;
            while ((line = out.readLine()) != null) {
                seen.append(line).append('\n');
                if (line.startsWith("READY ")) {
                    session = line.substring(6).strip();
                    break;
                }
            }
            assertThat(session).as("the session JVM said:\n%s", seen).isNotNull();
            List<String> live = TestSlurm.liveJobs(session);
            assertThat(live).hasSize(Runtime.getRuntime().availableProcessors() + 1);
            live.stream().filter(j -> j.endsWith("RUNNING")).map(j -> j.split(" ")[0]).forEach(runningJobs::add);
            new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).start().waitFor();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return session;
        } finally {
            p.destroyForcibly();
        }
    }
}
