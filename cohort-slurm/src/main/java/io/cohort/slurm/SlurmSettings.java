package io.cohort.slurm;

import io.cohort.CohortException;
import io.cohort.core.backend.BackendContext;
import io.cohort.SessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The Slurm backend's settings, read once when a session opens. Each is {@code slurm.KEY}: a
 * builder setting, {@code -Dcohort.slurm.KEY}, {@code COHORT_SLURM_KEY}, or a line in the config file.
 *
 * @param conf           slurm.conf for Slurm's commands (SLURM_CONF), or null for Slurm's default
 * @param bin            the folder with sbatch, squeue, scancel, scontrol, or null for PATH
 * @param partition      --partition, or null for the cluster's default
 * @param account        --account, or null
 * @param timeLimit      --time, in Slurm's syntax (e.g. "1:00:00"), or null for the partition's
 * @param sbatchOptions  more sbatch options, as they would be typed
 * @param masterAddress  the session's address as compute nodes reach it
 * @param agent          which agent a job runs: the Python one where the node has {@code python}, or always one of the two
 * @param python         the python3 command on the compute nodes, for the Python agent
 * @param java           the java command on the compute nodes, for the Java agent
 * @param agentJavaOptions JVM options of the Java agent, as typed on a command line
 * @param poll           how often squeue is asked about the session's jobs
 * @param agentGiveUp    how long an agent keeps trying to reach a silent session before it ends its job
 * @param guard          whether a guard process cancels the session's jobs when its JVM dies
 */
record SlurmSettings(Path conf, Path bin, String partition, String account, String timeLimit,
                     List<String> sbatchOptions, String masterAddress, AgentKind agent, String python, String java, String agentJavaOptions, Duration poll,
                     Duration agentGiveUp, boolean guard) {

    static SlurmSettings from(SessionOptions o) {
        String conf = o.setting("slurm.conf", null);
        if (conf != null && !Files.isRegularFile(Path.of(conf))) {
            throw new CohortException("cohort.slurm.conf names " + conf + ", which is not a file; point it at the"
                    + " cluster's slurm.conf, or leave it unset to use Slurm's default");
        }
        String bin = o.setting("slurm.bin", null);
        String java = o.setting("slurm.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new SlurmSettings(conf == null ? null : Path.of(conf).toAbsolutePath(), bin == null ? null : Path.of(bin),
                o.setting("slurm.partition", null), o.setting("slurm.account", null), o.setting("slurm.time", null),
                checked(BackendContext.words(o.setting("slurm.sbatchOptions", ""), "slurm.sbatchOptions")),
                // Where compute nodes most likely reach this host; cohort.slurm.masterIp where the guess is wrong.
                o.setting("slurm.masterIp", BackendContext.hostAddress()), AgentKind.parse(o.setting("slurm.agent", "auto")),
                o.setting("slurm.python", "/usr/bin/python3"), java,
                o.setting("slurm.agentJavaOptions", BatchScript.AGENT_JVM_OPTIONS),
                millis(o, "slurm.pollMillis", 500, 100), millis(o, "slurm.agentGiveUpMillis", 10_000, 1000),
                onOff(o.setting("slurm.guard", "on")));
    }

    /**
     * Which agent a job runs. Both speak the same protocol and keep the same promises; the Python one
     * starts in a fraction of the JVM's CPU time (BENCHMARKS.md, benchmark 6).
     */
    enum AgentKind {
        /** The Python agent where the node has {@code cohort.slurm.python}, else the Java agent: the default. */
        AUTO,
        /** Always the Python agent; a node without python3 fails the job with a message that says so. */
        PYTHON,
        /** Always the Java agent (the cohort-worker jar at the same path on every node). */
        JAVA;

        static AgentKind parse(String v) {
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "python" -> PYTHON;
                case "java" -> JAVA;
                default -> throw new CohortException("cohort.slurm.agent is 'auto' (Python where the node has python3,"
                        + " else Java), 'python' or 'java', got '" + v + "'");
            };
        }
    }

    private static Duration millis(SessionOptions o, String key, long fallback, long least) {
        String v = o.setting(key, Long.toString(fallback));
        try {
            long ms = Long.parseLong(v);
            if (ms < least) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new CohortException("cohort." + key + " must be a whole number of milliseconds, at least " + least
                    + ", got '" + v + "'");
        }
    }

    private static boolean onOff(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1" -> true;
            case "off", "false", "no", "0" -> false;
            default -> throw new CohortException("cohort.slurm.guard is 'on' or 'off', got '" + v + "'");
        };
    }

    /** Options that would take the session's jobs out of its sight: squeue and scancel could no longer find them. */
    private static List<String> checked(List<String> options) {
        for (String o : options) {
            if (o.equals("-M") || o.startsWith("-M") || o.startsWith("--clusters") || o.startsWith("--cluster=")) {
                throw new CohortException("cohort.slurm.sbatchOptions cannot send jobs to another cluster (" + o + "): the"
                        + " session would not find them; point cohort.slurm.conf at that cluster's slurm.conf instead");
            }
        }
        return options;
    }
}
