package io.cohort.slurm;

import io.cohort.CohortException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs Slurm's commands (sbatch, squeue, scancel, scontrol) with the session's slurm.conf. */
final class SlurmCommands {
    private static final long TIMEOUT_SECONDS = 60;
    private final SlurmSettings settings;

    SlurmCommands(SlurmSettings settings) {
        this.settings = settings;
    }

    /** What a command printed and how it ended. */
    record Outcome(int exitCode, String out, String err) {
        boolean ok() {
            return exitCode == 0;
        }

        /** Its error output without Slurm's "sbatch: error: " prefixes, on one line. */
        String message() {
            String text = (err.isBlank() ? out : err).strip();
            return text.replaceAll("(?m)^(sbatch|squeue|scancel|scontrol): error: ", "").replace('\n', ' ').strip();
        }
    }

    String executable(String name) {
        return settings.bin() == null ? name : settings.bin().resolve(name).toString();
    }

    /** Runs a Slurm command to its end; a missing command is a clear error. */
    Outcome run(List<String> command) {
        List<String> c = new ArrayList<>(command);
        c.set(0, executable(c.get(0)));
        ProcessBuilder pb = new ProcessBuilder(c);
        environment(pb.environment());
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("cohort-slurm", ".out");
            err = Files.createTempFile("cohort-slurm", ".err");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CohortException(command.get(0) + " did not answer within " + TIMEOUT_SECONDS
                        + " s; is slurmctld up? (scontrol ping)");
            }
            return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CohortException(command.get(0) + " cannot be run (" + e.getMessage() + "): install Slurm's client"
                    + " commands (Debian: apt-get install slurm-client), or set cohort.slurm.bin to the folder that"
                    + " holds sbatch", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException("interrupted while running " + command.get(0), e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    /** Slurm's commands see the session's slurm.conf. */
    void environment(Map<String, String> env) {
        if (settings.conf() != null) {
            env.put("SLURM_CONF", settings.conf().toString());
        }
    }

    private static void delete(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // A temp file left behind is harmless.
            }
        }
    }
}
