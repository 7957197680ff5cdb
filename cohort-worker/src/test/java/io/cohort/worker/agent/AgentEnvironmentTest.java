package io.cohort.worker.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which variables a remote worker takes from its session and which from the host it runs on. */
class AgentEnvironmentTest {
    @Test
    void theSessionsVariablesWinButTheHostKeepsItsNameTempFolderJobAndAllocatedGpus() {
        Map<String, Object> session = Map.of("PATH", "/session/bin", "HOSTNAME", "session-host", "TMPDIR", "/session/tmp",
                "SLURM_JOB_ID", "1", "CUDA_VISIBLE_DEVICES", "", "CDSW_ENGINE_ID", "w3");
        Map<String, String> host = Map.of("PATH", "/node/bin", "HOSTNAME", "n1", "TMPDIR", "/node/tmp", "SLURM_JOB_ID", "42",
                "SLURM_JOB_GPUS", "1", "CUDA_VISIBLE_DEVICES", "1", "COHORT_AGENT_GIVE_UP_MS", "10000");
        Map<String, String> env = ProgramSpec.environment(session, host);
        assertThat(env).containsEntry("PATH", "/session/bin").containsEntry("CDSW_ENGINE_ID", "w3")
                .containsEntry("HOSTNAME", "n1").containsEntry("TMPDIR", "/node/tmp").containsEntry("SLURM_JOB_ID", "42")
                .containsEntry("CUDA_VISIBLE_DEVICES", "1").doesNotContainKey("COHORT_AGENT_GIVE_UP_MS");
    }

    @Test
    void gpuVariablesComeFromTheSessionWhenTheEngineAllocatedNone() {
        Map<String, String> env = ProgramSpec.environment(Map.of("CUDA_VISIBLE_DEVICES", ""), Map.of("CUDA_VISIBLE_DEVICES", "0,1"));
        assertThat(env).containsEntry("CUDA_VISIBLE_DEVICES", "");
    }
}
