package io.cohort.core.backend;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a backend needs to start one worker.
 *
 * @param sessionId        the session's id
 * @param workerId         the worker's id ("w3")
 * @param command          the program and its arguments
 * @param env              the environment, complete but for what the backend places (address, GPUs)
 * @param workingDirectory where the program starts
 * @param cpu              cores to grant
 * @param memoryBytes      memory limit
 * @param gpus             whole GPUs to grant
 */
public record WorkerSpec(String sessionId, String workerId, List<String> command, Map<String, String> env,
                         Path workingDirectory, double cpu, long memoryBytes, int gpus) {
    public WorkerSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }

    /** A launch's memory in gigabytes ({@code memoryGb}, GiB) as {@code memoryBytes}: rounded up to a whole byte. */
    public static long bytes(double gb) {
        return (long) Math.ceil(gb * 1024.0 * 1024 * 1024);
    }
}
