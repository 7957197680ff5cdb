package io.cohort.slurm;

import io.cohort.CohortException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small process that outlives the session's JVM to cancel its jobs: it reads a pipe the JVM
 * holds, and when the pipe closes without the session having said it closed in order -- its JVM
 * died, even by SIGKILL -- it runs {@code scancel --name=<the session's job name>}, and again five
 * seconds later for a job that an sbatch still running at the time submitted after the first.
 * Jobs still pending are cancelled at once; a running job's agent would also end it after its
 * give-up time, but this is faster and also covers jobs that never started.
 */
final class SlurmGuard implements AutoCloseable {
    private final Process process;

    private SlurmGuard(Process process) {
        this.process = process;
    }

    static SlurmGuard start(SlurmCommands commands, String jobName, Path log) {
        // setsid: a Ctrl-C in the session's terminal must not end the guard before the session's own cleanup.
        ProcessBuilder pb = new ProcessBuilder("setsid", "sh", "-c",
                "read -r said; [ \"$said\" = closed ] && exit 0;"
                        + " \"$0\" --quiet --name=\"$1\" --user=\"$2\"; sleep 5; exec \"$0\" --quiet --name=\"$1\" --user=\"$2\"",
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

    /** The session closed in order and cancelled its jobs itself: the guard exits without doing anything. */
    @Override
    public void close() {
        try (var pipe = process.getOutputStream()) {
            pipe.write("closed\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
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
