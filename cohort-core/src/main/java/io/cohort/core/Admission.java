package io.cohort.core;

import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.core.backend.Capacity;
import io.cohort.core.backend.WorkerSpec;

/**
 * Refuses a launch that cannot fit before anything starts: the CPU (times the overcommit factor),
 * memory and GPUs that running workers hold plus what the launch asks for must fit the backend's
 * capacity. Workers give their share back when they end.
 */
public final class Admission {
    private static final double GB = 1024.0 * 1024 * 1024;
    private final Capacity capacity;
    private final double cpuOvercommit;
    private double cpus;
    private long memoryBytes;
    private int gpus;

    public Admission(Capacity capacity, double cpuOvercommit) {
        this.capacity = capacity;
        this.cpuOvercommit = cpuOvercommit;
    }

    public synchronized void reserve(LaunchRequest r) {
        int n = r.n();
        double needCpu = n * r.cpu();
        long needMemory = n * WorkerSpec.bytes(r.memoryGb());
        int needGpus = n * r.gpus();
        double cpuLimit = capacity.cpus() * cpuOvercommit;
        String launch = n + " worker" + (n == 1 ? "" : "s");
        if (needGpus > 0 && needGpus + gpus > capacity.gpus()) {
            throw new CohortException("cannot launch " + launch + " with " + r.gpus() + " GPU(s) each: that needs " + needGpus
                    + " GPU(s), and " + capacity.where() + " has " + capacity.gpus() + (gpus > 0 ? ", of which " + gpus
                    + " are held by running workers" : "") + (capacity.gpus() == 0 ? " (nvidia-smi found none)" : "")
                    + ". Ask for fewer GPUs or stop workers that hold them");
        }
        if (needCpu + cpus > cpuLimit + 1e-9) {
            throw new CohortException(String.format("cannot launch %s with %s CPU each: that needs %s cores, and %s has %s"
                            + " (x%s overcommit = %s)%s. Ask for fewer or smaller workers, stop some, or raise"
                            + " -Dcohort.cpuOvercommit", launch, fmt(r.cpu()), fmt(needCpu), capacity.where(),
                    fmt(capacity.cpus()), fmt(cpuOvercommit), fmt(cpuLimit),
                    cpus > 0 ? ", of which " + fmt(cpus) + " are held by running workers" : ""));
        }
        if (needMemory + memoryBytes > capacity.memoryBytes()) {
            throw new CohortException(String.format("cannot launch %s with %s GB each: that needs %s GB, and %s has %s GB%s."
                            + " Ask for fewer or smaller workers, or stop some", launch, fmt(r.memoryGb()),
                    fmt(needMemory / GB), capacity.where(), fmt(capacity.memoryBytes() / GB),
                    memoryBytes > 0 ? ", of which " + fmt(memoryBytes / GB) + " GB are held by running workers" : ""));
        }
        cpus += needCpu;
        memoryBytes += needMemory;
        gpus += needGpus;
    }

    /** Gives back one worker's share. */
    public synchronized void release(double cpu, double memoryGb, int gpuCount) {
        cpus = Math.max(0, cpus - cpu);
        memoryBytes = Math.max(0, memoryBytes - WorkerSpec.bytes(memoryGb));
        gpus = Math.max(0, gpus - gpuCount);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.2f", d);
    }
}
