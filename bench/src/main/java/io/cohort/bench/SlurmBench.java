package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 6: launch to all-running of 8 workers on an idle local Slurm, against the same 8 jobs
 * submitted with bare {@code sbatch} and polled with {@code squeue}, alternating round by round.
 *
 * <p>"All running" for cohort is every worker's agent reporting its program started. For bare
 * sbatch it is measured twice: when squeue first shows all 8 RUNNING (Slurm allocated them), and when
 * all 8 programs have started (each touches a file first thing): the second is the like-for-like one.
 *
 * <p>Arguments: SLURM_CONF [rounds]. The cluster must offer 8 CPUs (scripts/slurm-for-tests with
 * COHORT_SLURM_NODE_CPUS=8 or more; bench/run.sh starts one).
 */
public final class SlurmBench {
    private static final int WORKERS = 8;
    private final Path conf;
    private final Path scratch;

    private SlurmBench(Path conf, Path scratch) {
        this.conf = conf;
        this.scratch = scratch;
    }

    public static void main(String[] args) throws Exception {
        Path conf = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        Path scratch = Files.createTempDirectory("cohort-slurm-bench");
        new SlurmBench(conf, scratch).run(rounds);
    }

    private void run(int rounds) throws Exception {
        SessionOptions options = SessionOptions.builder().home(scratch.resolve("home")).backend("slurm").console(null)
                .setting("slurm.conf", conf.toString()).setting("slurm.masterIp", "127.0.0.1").build();
        List<Double> cohort = new ArrayList<>();
        List<Double> bareRunning = new ArrayList<>();
        List<Double> bareStarted = new ArrayList<>();
        try (Session session = Session.open(options)) {
            // One warm-up of each, not counted: the first javac, the first JVMs, slurmctld's first jobs.
            cohortRound(session);
            bareRound(0, new double[2]);
            for (int r = 1; r <= rounds; r++) {
                cohort.add(cohortRound(session));
                double[] bare = new double[2];
                bareRound(r, bare);
                bareRunning.add(bare[0]);
                bareStarted.add(bare[1]);
            }
        }
        System.out.printf(Locale.ROOT, "6. Slurm: launch to all running, %d workers, %d rounds (median [min-max])%n", WORKERS, rounds);
        System.out.printf(Locale.ROOT, "   cohort (every agent reported its program started)    %s%n", Stats.ms(cohort));
        System.out.printf(Locale.ROOT, "   bare sbatch, until all 8 programs started            %s%n", Stats.ms(bareStarted));
        System.out.printf(Locale.ROOT, "   bare sbatch, until squeue shows all 8 RUNNING        %s%n", Stats.ms(bareRunning));
        System.out.printf(Locale.ROOT, "   cohort / bare (programs started)                     %s%n", Stats.x(Stats.ratios(cohort, bareStarted)));
        System.out.printf(Locale.ROOT, "   cohort / bare (squeue RUNNING)                       %s%n", Stats.x(Stats.ratios(cohort, bareRunning)));
        System.out.printf(Locale.ROOT, "   overhead per worker over bare programs started       %s ms%n",
                Stats.f((Stats.median(cohort) - Stats.median(bareStarted)) / WORKERS));
    }

    /** Launches 8 sleeping workers, times until all run, then stops them and waits until Slurm holds nothing. */
    private double cohortRound(Session session) throws InterruptedException {
        long t0 = System.nanoTime();
        List<Worker> ws = session.launch(LaunchRequest.builder().n(WORKERS).cpu(1).memoryGb(0.25)
                .program(Program.shell("exec sleep 600")).build());
        session.await(ws, false, Duration.ofMinutes(2));
        double ms = (System.nanoTime() - t0) / 1e6;
        for (Worker w : ws) {
            if (session.get(w).status() != Status.RUNNING) {
                throw new IllegalStateException(w.id() + " is not running: " + session.get(w));
            }
        }
        session.stop(ws);
        awaitNoJobs("cohort-" + session.id());
        return ms;
    }

    private void bareRound(int round, double[] out) throws Exception {
        Path marks = Files.createDirectories(scratch.resolve("marks-" + round));
        String name = "bare-bench-" + round;
        long t0 = System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            ids.add(slurm("sbatch", "--parsable", "--job-name=" + name, "--cpus-per-task=1", "--mem=256M", "--no-requeue",
                    "--output=/dev/null", "--wrap=touch " + marks + "/$SLURM_JOB_ID; exec sleep 600").strip().split(";")[0]);
        }
        boolean allRunning = false;
        while (true) {
            if (!allRunning) {
                String states = slurm("squeue", "--noheader", "--name=" + name, "-o", "%T");
                if (states.lines().filter(l -> l.strip().equals("RUNNING")).count() == WORKERS) {
                    allRunning = true;
                    out[0] = (System.nanoTime() - t0) / 1e6;
                }
            }
            try (var files = Files.list(marks)) {
                if (files.count() == WORKERS) {
                    out[1] = (System.nanoTime() - t0) / 1e6;
                    if (allRunning) {
                        break;
                    }
                }
            }
        }
        slurm("scancel", "--name=" + name);
        awaitNoJobs(name);
    }

    private void awaitNoJobs(String name) throws InterruptedException {
        while (!slurm("squeue", "--noheader", "--name=" + name, "--states=PENDING,CONFIGURING,RUNNING,COMPLETING", "-o", "%i")
                .isBlank()) {
            Thread.sleep(50);
        }
    }

    private String slurm(String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("SLURM_CONF", conf.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
