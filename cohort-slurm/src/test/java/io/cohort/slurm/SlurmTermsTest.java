package io.cohort.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.CohortException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Translations between cohort's terms and Slurm's, which need no cluster. */
class SlurmTermsTest {
    @Test
    void resourcesBecomeWholeCpusMegabytesAndGres() {
        assertThat(SlurmBackend.resourceOptions(0.25, 256L << 20, 0)).containsExactly("--cpus-per-task=1", "--mem=256M");
        assertThat(SlurmBackend.resourceOptions(2.5, (3L << 30) + 1, 2))
                .containsExactly("--cpus-per-task=3", "--mem=3073M", "--gres=gpu:2");
        assertThat(SlurmBackend.resourceOptions(4, 1, 0)).containsExactly("--cpus-per-task=4", "--mem=1M");
    }

    @Test
    void squeueLinesAreReadAndEndsAreExplained() {
        Map<String, JobState> jobs = JobState.parse(String.join("\n",
                "41|PENDING|Resources|(null)|0",
                "42|TIMEOUT|TimeLimit|n1|0:15",
                "43|NODE_FAIL|NodeDown|n2|0",
                "44|CANCELLED|None|n1|0:15",
                "45|RUNNING|None|n1|0",
                "46|OUT_OF_MEMORY|OutOfMemory|n1|0:125",
                "garbage line",
                ""));
        assertThat(jobs).hasSize(6);
        assertThat(jobs.get("41").pending()).isTrue();
        assertThat(jobs.get("41").waitingReason()).isEqualTo("pending in Slurm's queue as job 41 (waiting for resources: the nodes are busy)");
        assertThat(jobs.get("42").ended()).isTrue();
        assertThat(jobs.get("42").endReason()).contains("Slurm job 42 reached its time limit");
        assertThat(jobs.get("43").endReason()).contains("its node n2 failed");
        assertThat(jobs.get("44").endReason()).contains("was cancelled outside the session");
        assertThat(jobs.get("45").ended()).isFalse();
        assertThat(jobs.get("45").pending()).isFalse();
        assertThat(jobs.get("46").endReason()).contains("ran out of memory");
        assertThat(jobs.get("42").exitCode()).isZero();
    }

    @Test
    void extraSbatchOptionsSplitAsAShellWould() {
        assertThat(io.cohort.core.backend.BackendContext.words("--qos=short  --constraint=\"a b\" --comment='x y' -N1", "slurm.sbatchOptions"))
                .containsExactly("--qos=short", "--constraint=a b", "--comment=x y", "-N1");
        assertThat(io.cohort.core.backend.BackendContext.words("   ", "slurm.sbatchOptions")).isEmpty();
        assertThatThrownBy(() -> io.cohort.core.backend.BackendContext.words("--comment='open", "slurm.sbatchOptions"))
                .isInstanceOf(CohortException.class).hasMessageContaining("unclosed '");
    }

    /** Each agent setting's batch script, as sh reads it: it must parse, and start what the setting says. */
    @Test
    void eachAgentSettingWritesAScriptThatShReadsAndThatStartsThatAgent(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        Map<String, String> env = Map.of("COHORT_API", "http://127.0.0.1:1", "COHORT_TOKEN", "t'ok", "COHORT_TLS_PIN", "");
        for (String agent : List.of("auto", "python", "java")) {
            SlurmSettings settings = SlurmSettings.from(io.cohort.SessionOptions.builder().home(dir)
                    .setting("slurm.agent", agent).setting("slurm.python", "/opt/py 3/python3").setting("slurm.masterIp", "127.0.0.1")
                    .build());
            java.nio.file.Path script = dir.resolve(agent + ".sh");
            BatchScript.write(script, env, "w1", settings);
            String text = java.nio.file.Files.readString(script);
            Process sh = new ProcessBuilder("sh", "-n", script.toString()).redirectErrorStream(true).start();
            String said = new String(sh.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(sh.waitFor()).as(agent + ": sh -n said " + said).isZero();
            String java = io.cohort.worker.agent.Agent.class.getName();
            switch (agent) {
                case "java" -> assertThat(text).contains("exec '" + settings.java() + "'", java)
                        .doesNotContain(io.cohort.worker.agent.PythonAgent.END_MARK);
                // The Java agent follows as the Python agent's arguments (for a python3 too old) and as the fallback.
                case "auto" -> assertThat(text).contains("if command -v '/opt/py 3/python3' >/dev/null 2>&1; then",
                        "exec '/opt/py 3/python3' -I -S - '" + settings.java() + "'", "\n" + io.cohort.worker.agent.PythonAgent.END_MARK
                                + "\nfi\nexec '" + settings.java() + "'");
                default -> assertThat(text).contains("exec '/opt/py 3/python3' -I -S - <<'", "set cohort.slurm.python to its path",
                        "def main(fallback):").doesNotContain("'" + settings.java() + "'");
            }
        }
    }

    @Test
    void theBatchScriptQuotesWhatItHolds() {
        assertThat(BatchScript.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(List.of(BatchScript.agentClassPath())).allSatisfy(p -> assertThat(p).contains("cohort-worker"));
    }
}
