package io.cohort.core.backend;

import io.cohort.CohortException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A small process that outlives the session's JVM to clean up after it: it reads a pipe only the
 * JVM holds, and when the pipe closes without the session having written {@code closed} -- its JVM
 * died, even by SIGKILL -- it does its backend's cleanup (cancel the session's Slurm jobs, delete its
 * Kubernetes owner). Start it under {@code setsid}, so that a Ctrl-C in the session's terminal does
 * not end it before the session's own cleanup.
 */
public final class PipeGuard implements AutoCloseable {
    private final Process process;

    private PipeGuard(Process process) {
        this.process = process;
    }

    /**
     * Starts the guard; its stdin is the pipe.
     *
     * @param what what it is, for the refusal ("the Slurm guard (setsid sh)")
     * @param fix  what to do when it cannot start ("set cohort.slurm.guard=off to ...")
     */
    public static PipeGuard start(ProcessBuilder guard, String what, String fix) {
        try {
            return new PipeGuard(guard.start());
        } catch (IOException e) {
            throw new CohortException("cannot start " + what + ": " + e.getMessage() + "; " + fix, e);
        }
    }

    /** The session closed in order and cleaned up itself: the guard exits without doing anything. */
    @Override
    public void close() {
        try (var pipe = process.getOutputStream()) {
            pipe.write("closed\n".getBytes(StandardCharsets.US_ASCII));
            pipe.flush();
        } catch (IOException e) {
            // The guard is gone already.
        }
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
