package io.cohort.core.backend;

import java.time.Duration;

/**
 * How workers are started and stopped: one implementation per engine (local processes, Slurm jobs,
 * later Kubernetes pods). The session owns worker state; a backend only reports what happens to
 * each worker through its {@link WorkerSink}. Local backends pump pipes straight into the sink;
 * remote ones will feed the same sink from their agents' messages over the control plane.
 */
public interface Backend extends AutoCloseable {

    /** A short name for messages ("local", "slurm"). */
    String name();

    /** What this backend can hand out in all, for admission. */
    Capacity capacity();

    /** The session's address as this backend's workers reach it. */
    String masterAddress();

    /**
     * Checks a launch with the engine before anything starts (e.g. a partition that does not exist,
     * a request larger than any node), and throws a {@link io.cohort.CohortException} that names the
     * problem and the fix. The default accepts every launch that passed admission.
     */
    default void admit(io.cohort.LaunchRequest request) {
    }

    /**
     * Whether every worker gets an address of its own (the local backend's loopback addresses), so
     * that LOCAL_RANK is 0 for each and a group's members never share a port space. A backend that
     * gives a worker its address sets CDSW_IP_ADDRESS, and MASTER_ADDR too for a worker whose RANK is
     * 0 and that has no MASTER_ADDR yet (docs/groups.md).
     */
    default boolean addressPerWorker() {
        return false;
    }

    /**
     * Whether this backend's workers may run on other machines than the session's, so that what they
     * send to the control plane crosses a network others can see. Such workers reach the control plane
     * over TLS (a certificate the session makes, pinned by fingerprint) and each holds a credential of
     * its own that acts only as itself (docs/control-plane.md, "Credentials"). Local workers share the
     * session's machine and user, and hold the session's token.
     */
    default boolean workersOnOtherHosts() {
        return false;
    }

    /**
     * Starts one worker. Reports placement, start, output lines and the exit to the sink, from any
     * thread. A worker that cannot start is reported with {@link WorkerSink#failedToStart}; only a
     * broken backend throws.
     */
    WorkerHandle start(WorkerSpec spec, WorkerSink sink);

    /**
     * What each running worker uses now, by worker id, for the dashboard's resources view. The
     * default knows nothing (a remote backend whose agents do not report it).
     */
    default java.util.Map<String, WorkerUsage> usage() {
        return java.util.Map.of();
    }

    /** Stops every worker it started (grace, then force) and releases what it holds. */
    void close(Duration grace);

    @Override
    default void close() {
        close(Duration.ofSeconds(2));
    }
}
