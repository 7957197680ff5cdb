package io.cohort.slurm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cohort.SessionOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Slurm the tests run against: one node on this machine ({@link #conf()}), or two nodes in
 * network namespaces of their own ({@link #networkConf()}). A one-node cluster named by
 * -Dcohort.slurm.conf (or COHORT_SLURM_CONF) is used as it is; otherwise scripts/slurm-for-tests
 * starts each (as root) for this test JVM and stops it when the JVM ends. Under CI=true a cluster
 * that cannot be had fails the tests; elsewhere they are skipped with the reason.
 */
public final class TestSlurm {
    /** The session's address on the two-node cluster's bridge, as its nodes reach it. */
    public static final String NETWORK_MASTER = "10.201.0.1";
    private static final Cluster LOCAL = new Cluster("start", Path.of("/tmp/cohort-slurm"));
    private static final Cluster NETWORK = new Cluster("network", Path.of("/tmp/cohort-slurm-network"));

    private TestSlurm() {
    }

    /** The slurm.conf of a running one-node cluster; skips (or fails, under CI) when there is none. */
    public static Path conf() {
        String named = System.getProperty("cohort.slurm.conf", System.getenv("COHORT_SLURM_CONF"));
        return named != null ? Path.of(named) : LOCAL.conf();
    }

    /** The slurm.conf of the two-node cluster (n1 at 10.201.0.11, n2 at 10.201.0.12). */
    public static Path networkConf() {
        return NETWORK.conf();
    }

    /** One cluster started by scripts/slurm-for-tests, once per JVM. */
    private static final class Cluster {
        private final String mode;
        private final Path dir;
        private Path conf;
        private String unavailable;

        Cluster(String mode, Path dir) {
            this.mode = mode;
            this.dir = dir;
        }

        synchronized Path conf() {
            if (conf == null && unavailable == null) {
                start();
            }
            if (unavailable != null) {
                if ("true".equals(System.getenv("CI"))) {
                    throw new AssertionError("CI needs a real Slurm for these tests and none could be started: " + unavailable);
                }
                assumeTrue(false, "no Slurm here: " + unavailable);
            }
            return conf;
        }

        private void start() {
            Path script = Path.of("..", "scripts", "slurm-for-tests").toAbsolutePath().normalize();
            try {
                Process p = new ProcessBuilder(script.toString(), mode, dir.toString()).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    unavailable = script + " " + mode + " failed: " + out.strip();
                    return;
                }
                conf = dir.resolve("slurm.conf");
                if (out.contains("reusing the cluster")) {
                    return; // Someone else started it, and stops it.
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        new ProcessBuilder(script.toString(), "stop", dir.toString()).inheritIO().start()
                                .waitFor(60, TimeUnit.SECONDS);
                    } catch (IOException | InterruptedException e) {
                        // The JVM is ending; nothing more to do.
                    }
                }));
            } catch (IOException e) {
                unavailable = "cannot run " + script + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unavailable = "interrupted";
            }
        }
    }

    /** Options for a session on the two-node cluster: the session listens on the bridge. */
    public static SessionOptions.Builder networkOptions(Path home) {
        return SessionOptions.builder().home(home).backend("slurm").stopGrace(java.time.Duration.ofSeconds(2))
                .setting("slurm.conf", networkConf().toString()).setting("slurm.masterIp", NETWORK_MASTER)
                .setting("slurm.pollMillis", "200");
    }

    /** Options for a session on the test cluster; the master is loopback, as the cluster is this machine. */
    public static SessionOptions.Builder options(Path home) {
        return SessionOptions.builder().home(home).backend("slurm").stopGrace(java.time.Duration.ofSeconds(2))
                .setting("slurm.conf", conf().toString()).setting("slurm.masterIp", "127.0.0.1")
                .setting("slurm.pollMillis", "200");
    }

    /** Runs a Slurm command against the test cluster and returns its output; fails if it fails. */
    public static String run(String... command) {
        return run(conf(), command);
    }

    /** Runs a Slurm command against the cluster of {@code slurmConf}. */
    public static String run(Path slurmConf, String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("SLURM_CONF", slurmConf.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The session's jobs that still hold or wait for an allocation: "jobid state" lines. */
    public static List<String> liveJobs(String sessionId) {
        return liveJobs(conf(), sessionId);
    }

    public static List<String> liveJobs(Path slurmConf, String sessionId) {
        String out = run(slurmConf, "squeue", "--noheader", "--name=cohort-" + sessionId,
                "--states=PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED", "-o", "%i %T");
        List<String> jobs = new ArrayList<>();
        out.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(jobs::add);
        return jobs;
    }

    /** Every job of the session squeue still remembers: "jobid state" lines. */
    public static List<String> allJobs(String sessionId) {
        String out = run("squeue", "--noheader", "--name=cohort-" + sessionId, "--states=all", "-o", "%i %T");
        return out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    public static String jobId(io.cohort.Worker w) {
        return w.notes().stream().filter(n -> n.startsWith("Slurm job ")).findFirst()
                .map(n -> n.substring("Slurm job ".length(), n.indexOf(':')))
                .orElseThrow(() -> new AssertionError(w.id() + " has no Slurm job note: " + w.notes()));
    }
}
