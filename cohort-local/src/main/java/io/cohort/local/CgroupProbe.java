package io.cohort.local;

/**
 * For the benchmarks only (bench/: FanOut, LaunchLatency): what the local backend's cgroup
 * bookkeeping costs the session per worker (create the worker's folders and write its limits, then
 * remove them), with the same detection as a session. Public so that bench needs no class of its
 * own in this package.
 */
public final class CgroupProbe implements AutoCloseable {
    private final Cgroups cgroups;

    public CgroupProbe(String sessionId) {
        this.cgroups = Cgroups.detect(sessionId, "auto", LocalSettings.DEFAULT_PIDS);
    }

    public String name() {
        return cgroups.name() + (cgroups.enforcesCpu() ? " (memory + cpu)" : " (memory)");
    }

    /** Creates and removes one worker's cgroup; returns the nanoseconds taken. */
    public long createAndRemove(String workerId, double cpu, long memoryBytes) throws java.io.IOException {
        long t0 = System.nanoTime();
        Cgroups.Slot slot = cgroups.create(workerId, cpu, memoryBytes);
        slot.remove();
        return System.nanoTime() - t0;
    }

    /** A worker's cgroups, created as for a worker; closing removes them (they must be empty by then). */
    public AutoCloseable create(String workerId, double cpu, long memoryBytes, java.util.List<String> procsFiles)
            throws java.io.IOException {
        Cgroups.Slot slot = cgroups.create(workerId, cpu, memoryBytes);
        slot.procsFiles().forEach(f -> procsFiles.add(f.toString()));
        return slot::remove;
    }

    @Override
    public void close() {
        cgroups.close();
    }
}
