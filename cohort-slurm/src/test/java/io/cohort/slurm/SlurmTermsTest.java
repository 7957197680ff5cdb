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

    @Test
    void theBatchScriptQuotesWhatItHolds() {
        assertThat(BatchScript.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(List.of(BatchScript.agentClassPath())).allSatisfy(p -> assertThat(p).contains("cohort-worker"));
    }
}
