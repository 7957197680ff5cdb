package io.cohort.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which agent a job runs (cohort.slurm.agent, cohort.slurm.python), and what a node without python3 gets. */
class AgentChoiceTest {
    @TempDir
    Path home;
    Session session;

    @AfterEach
    void close() {
        if (session != null) {
            String id = session.id();
            session.close();
            assertThat(TestSlurm.liveJobs(id)).as("jobs left after the session closed").isEmpty();
        }
    }

    private Worker run(String agent, String python) {
        session = Session.open(TestSlurm.options(home).console(null).setting("slurm.agent", agent)
                .setting("slurm.python", python).build());
        Worker w = session.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25)
                .program(Program.shell("echo \"agent=$(cat /proc/$PPID/comm)\"; exit 4")).build()).get(0);
        session.await(List.of(w), true, Duration.ofMinutes(2));
        return session.get(w);
    }

    @Test
    void autoRunsTheJavaAgentOnANodeWithoutPython() {
        Worker w = run("auto", home.resolve("no-python-here").toString());
        assertThat(session.output(w)).extracting(OutputLine::text).containsExactly("agent=java");
        assertThat(w.exitCode()).isEqualTo(4);
    }

    @Test
    void pythonOnANodeWithoutPythonFailsTheWorkerWithTheFix() {
        Path missing = home.resolve("no-python-here");
        Worker w = run("python", missing.toString());
        assertThat(w.status()).isEqualTo(Status.FAILED);
        assertThat(w.reason()).contains("cohort agent: " + missing + " is not on", "set cohort.slurm.python to its path",
                "cohort.slurm.agent=auto");
        assertThat(session.output(w)).isEmpty();
    }

    @Test
    void pythonFoundOnThePathIsUsedByName() {
        Worker w = run("python", "python3");
        // A python3 found on PATH may be a wrapper (pyenv) that runs python3.11 and the like.
        assertThat(session.output(w)).singleElement().satisfies(l -> assertThat(l.text()).startsWith("agent=python3"));
        assertThat(w.exitCode()).isEqualTo(4);
    }

    @Test
    void anUnknownAgentIsRefusedWhenTheSessionOpens() {
        assertThatThrownBy(() -> Session.open(TestSlurm.options(home).console(null).setting("slurm.agent", "perl").build()))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("cohort.slurm.agent is 'auto' (Python where the node has python3, else Java), 'python'"
                        + " or 'java', got 'perl'");
    }
}
