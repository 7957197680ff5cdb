package io.cohort.core.backend;

import java.time.Duration;

/** A started worker, as its backend holds it. */
public interface WorkerHandle {
    /**
     * Asks the worker's whole process tree to stop (a polite signal), and forces it after the grace
     * period. Returns at once; the sink hears the exit.
     */
    void stop(Duration grace);
}
