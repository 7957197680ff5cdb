package io.cohort.slurm;

import io.cohort.CohortException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small process that outlives the session's JVM to cancel its jobs: it reads a pipe the JVM
 * holds, and when the pipe closes -- the session closed, or its JVM died, even by SIGKILL -- it runs
 * {@code scancel --name=<the session's job name>}. Jobs still pending are cancelled at once; a
 * running job's agent would also end it after its give-up time, but this is faster and also covers
 * jobs that never started.
 */
final class SlurmGuard implements AutoCloseable {
    private final Process process;

    private SlurmGuard(Process process) {
        this.process = process;
    }

    static SlurmGuard start(SlurmCommands commands, String jobName, Path log) {
        // setsid: a Ctrl-C in the session's terminal must not end the guard before the session's own cleanup.
        ProcessBuilder pb = new ProcessBuilder("setsid", "sh", "-c",
                "cat >/dev/null; exec \"$0\" --quiet --name=\"$1\" --user=\"$2\"",
                commands.executable("scancel"), jobName, System.getProperty("user.name"));
        commands.environment(pb.environment());
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true);
        try {
            return new SlurmGuard(pb.start());
        } catch (IOException e) {
            throw new CohortException("cannot start the Slurm guard (setsid sh): " + e.getMessage()
                    + "; set cohort.slurm.guard=off to rely on the agents' give-up time alone", e);
        }
    }

    /** True while the guard waits. */
    boolean alive() {
        return process.isAlive();
    }

    /** Closes the pipe: the guard cancels whatever is left of the session's jobs, and exits. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            // Already gone.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
