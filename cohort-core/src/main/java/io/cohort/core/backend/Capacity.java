package io.cohort.core.backend;

/**
 * What a backend can hand out in all.
 *
 * @param cpus        CPU cores (before overcommit)
 * @param memoryBytes bytes of memory
 * @param gpus        whole GPUs
 * @param where       a few words for messages ("this machine", "partition gpu")
 */
public record Capacity(double cpus, long memoryBytes, int gpus, String where) {
}
