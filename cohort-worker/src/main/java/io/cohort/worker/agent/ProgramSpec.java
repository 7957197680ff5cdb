package io.cohort.worker.agent;

import io.cohort.worker.WorkerVariables;
import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the agent runs, from the session's spec and this host.
 *
 * @param command   the program and its arguments
 * @param directory where it runs
 * @param env       its whole environment ({@link #environment})
 */
record ProgramSpec(List<String> command, File directory, Map<String, String> env) {
    /** Variables the worker keeps from the host it runs on rather than from the session's machine. */
    private static final Set<String> HOST_VARIABLES = Set.of("HOSTNAME", "TMPDIR");

    /** The session's answer to {@code GET spec}, on a host whose environment is {@code host}. */
    @SuppressWarnings("unchecked")
    static ProgramSpec from(Map<String, Object> spec, Map<String, String> host) {
        List<String> command = new ArrayList<>();
        for (Object o : (List<Object>) spec.get("command")) {
            command.add((String) o);
        }
        return new ProgramSpec(command, new File((String) spec.get("directory")),
                environment((Map<String, Object>) spec.get("env"), host));
    }

    /**
     * The worker's environment: the session's, over this host's for what belongs to the host
     * (its name, its temp folder, the engine's own SLURM_* variables, and the GPUs the engine gave
     * the job, if it gave any).
     */
    static Map<String, String> environment(Map<String, Object> fromSession, Map<String, String> host) {
        Map<String, String> env = new HashMap<>(host);
        env.keySet().removeIf(k -> k.startsWith("COHORT_AGENT_"));
        boolean engineGpus = host.containsKey("SLURM_JOB_GPUS") || host.containsKey("SLURM_STEP_GPUS");
        fromSession.forEach((k, v) -> {
            boolean hosts = HOST_VARIABLES.contains(k) || k.startsWith("SLURM_")
                    || (engineGpus && WorkerVariables.GPU_VARIABLES.contains(k));
            if (!hosts || !env.containsKey(k)) {
                env.put(k, String.valueOf(v));
            }
        });
        return env;
    }
}
