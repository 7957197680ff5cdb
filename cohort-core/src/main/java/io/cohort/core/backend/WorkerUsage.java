package io.cohort.core.backend;

/**
 * What a running worker's whole tree uses now, as its backend measures it ({@link Backend#usage}).
 *
 * @param cpuSeconds    CPU time used so far by the tree's processes (user and system), in seconds
 * @param residentBytes memory resident now (the cgroup's count where the worker has one, else the tree's RSS)
 */
public record WorkerUsage(double cpuSeconds, long residentBytes) {
}
