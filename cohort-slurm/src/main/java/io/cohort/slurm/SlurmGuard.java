package io.cohort.slurm;

import io.cohort.core.backend.PipeGuard;
import java.nio.file.Path;

/**
 * The Slurm backend's {@link PipeGuard}: when the session's JVM dies without closing in order, it
 * runs {@code scancel --name=<the session's job name>}, and again five seconds later for a job that
 * an sbatch still running at the time submitted after the first.
 * Jobs still pending are cancelled at once; a running job's agent would also end it after its
 * give-up time, but this is faster and also covers jobs that never started.
 */
final class SlurmGuard {
    private SlurmGuard() {
    }

    static PipeGuard start(SlurmCommands commands, String jobName, Path log) {
        ProcessBuilder pb = new ProcessBuilder("setsid", "sh", "-c",
                "read -r said; [ \"$said\" = closed ] && exit 0;"
                        + " \"$0\" --quiet --name=\"$1\" --user=\"$2\"; sleep 5; exec \"$0\" --quiet --name=\"$1\" --user=\"$2\"",
                commands.executable("scancel"), jobName, System.getProperty("user.name"));
        commands.environment(pb.environment());
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true);
        return PipeGuard.start(pb, "the Slurm guard (setsid sh)", "set cohort.slurm.guard=off to rely on the agents' give-up time alone");
    }
}
