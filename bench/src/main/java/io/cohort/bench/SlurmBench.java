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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 6: launch to all running of N workers (8, 32, 128) on an idle local Slurm, with each
 * agent (cohort.slurm.agent=python, the default where nodes have python3, and java, the only one
 * before), against the same N jobs submitted with bare {@code sbatch}, alternating round by round so
 * that all three see the same machine.
 *
 * <p>"All running" for cohort is every worker's agent reporting its program started. For bare
 * sbatch it is measured twice: when squeue first shows all N RUNNING (Slurm allocated them), and when
 * all N programs have started (each touches a file first thing): the second is the like-for-like one.
 * The watcher looks every 5 ms (squeue every 50 ms) rather than spinning, so that it does not take a
 * core from the jobs it times; cohort's await costs the session nothing while it waits.
 *
 * <p>Arguments: SLURM_CONF [--workers=8,32,128] [--rounds=F] [--agents=python,java], F scaling the
 * rounds (7, 5 and 3 for up to 8, 32 and more workers). Each worker asks
 * for 1 CPU and 64 MB, so the cluster must offer the most workers' CPUs (bench/run.sh 6 starts one
 * with 128 CPUs declared on this machine's cores).
 */
public final class SlurmBench {
    private static final double MEMORY_GB = 0.0625;
    private final Path conf;
    private final Path scratch;

    private SlurmBench(Path conf, Path scratch) {
        this.conf = conf;
        this.scratch = scratch;
    }

    public static void main(String[] args) throws Exception {
        Path conf = Path.of(args[0]);
        List<Integer> sizes = List.of(8, 32, 128);
        List<String> agents = List.of("python", "java");
        double scale = 1;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--workers=")) {
                sizes = java.util.Arrays.stream(a.substring(10).split(",")).map(Integer::parseInt).toList();
            } else if (a.startsWith("--rounds=")) {
                scale = Double.parseDouble(a.substring(9));
            } else if (a.startsWith("--agents=")) {
                agents = List.of(a.substring(9).split(","));
            } else {
                throw new IllegalArgumentException("SlurmBench SLURM_CONF [--workers=8,32,128] [--rounds=F] [--agents=python,java],"
                        + " got " + a);
            }
        }
        Path scratch = Files.createTempDirectory("cohort-slurm-bench");
        new SlurmBench(conf, scratch).run(sizes, agents, scale);
    }

    /** Fewer rounds for more workers (a round of 128 Java agents takes seconds of both cores), times --rounds=F. */
    private static int roundsFor(int workers, double scale) {
        return (int) Math.max(1, Math.round((workers <= 8 ? 7 : workers <= 32 ? 5 : 3) * scale));
    }

    private void run(List<Integer> sizes, List<String> agents, double scale) throws Exception {
        Map<String, Session> sessions = new LinkedHashMap<>();
        try {
            for (String agent : agents) {
                sessions.put(agent, Session.open(SessionOptions.builder().home(scratch.resolve("home-" + agent)).backend("slurm")
                        .console(null).setting("slurm.conf", conf.toString()).setting("slurm.masterIp", "127.0.0.1")
                        .setting("slurm.agent", agent).build()));
            }
            System.out.printf(Locale.ROOT, "6. Slurm: launch to all running, 1 CPU and 64 MB a worker (median [min-max]); load %s%n",
                    load());
            for (int n : sizes) {
                int rounds = roundsFor(n, scale);
                Map<String, List<Double>> cohort = new LinkedHashMap<>();
                Map<String, List<Double>> sessionCpu = new LinkedHashMap<>();
                Map<String, List<Double>> launchReturned = new LinkedHashMap<>();
                agents.forEach(a -> launchReturned.put(a, new ArrayList<>()));
                agents.forEach(a -> cohort.put(a, new ArrayList<>()));
                agents.forEach(a -> sessionCpu.put(a, new ArrayList<>()));
                List<Double> bareRunning = new ArrayList<>();
                List<Double> bareStarted = new ArrayList<>();
                // One warm-up of each, not counted: the first JVMs, slurmctld's first jobs of this size.
                for (String a : agents) {
                    cohortRound(sessions.get(a), n, new double[2]);
                }
                bareRound(n, 0, new double[2]);
                for (int r = 1; r <= rounds; r++) {
                    for (String a : agents) {
                        double[] cpu = new double[2];
                        cohort.get(a).add(cohortRound(sessions.get(a), n, cpu));
                        sessionCpu.get(a).add(cpu[0]);
                        launchReturned.get(a).add(cpu[1]);
                    }
                    double[] bare = new double[2];
                    bareRound(n, r, bare);
                    bareRunning.add(bare[0]);
                    bareStarted.add(bare[1]);
                }
                System.out.printf(Locale.ROOT, "   %d workers, %d rounds, load after %s%n", n, rounds, load());
                System.out.printf(Locale.ROOT, "     bare sbatch, until all %3d programs started        %s%n", n, Stats.ms(bareStarted));
                System.out.printf(Locale.ROOT, "     bare sbatch, until squeue shows all %3d RUNNING    %s%n", n, Stats.ms(bareRunning));
                for (String a : agents) {
                    List<Double> c = cohort.get(a);
                    System.out.printf(Locale.ROOT, "     cohort, %-6s agent, all reported started       %s%n", a, Stats.ms(c));
                    System.out.printf(Locale.ROOT, "       / bare programs started                      %s%n", Stats.x(Stats.ratios(c, bareStarted)));
                    System.out.printf(Locale.ROOT, "       / bare squeue RUNNING                        %s%n", Stats.x(Stats.ratios(c, bareRunning)));
                    System.out.printf(Locale.ROOT, "       overhead per worker over bare                %s ms%n",
                            Stats.f((Stats.median(c) - Stats.median(bareStarted)) / n));
                    System.out.printf(Locale.ROOT, "       session's own CPU until all started          %s%n", Stats.ms(sessionCpu.get(a)));
                    System.out.printf(Locale.ROOT, "       launch() returned after                      %s%n", Stats.ms(launchReturned.get(a)));
                }
            }
        } finally {
            sessions.values().forEach(Session::close);
        }
    }

    private static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * Launches n sleeping workers, times until all run, then stops them and waits until Slurm holds
     * nothing. {@code cpu[0]} gets the CPU time this JVM (the session, and the bench's thread that
     * waits) spent until all ran: sbatch and the agents are other processes and not in it; {@code cpu[1]}
     * the wall time until launch() returned.
     */
    private double cohortRound(Session session, int n, double[] cpu) throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        List<Worker> ws = session.launch(LaunchRequest.builder().n(n).cpu(1).memoryGb(MEMORY_GB)
                .program(Program.shell("exec sleep 600")).build());
        cpu[1] = (System.nanoTime() - t0) / 1e6;
        session.await(ws, false, Duration.ofMinutes(5));
        double ms = (System.nanoTime() - t0) / 1e6;
        cpu[0] = (os.getProcessCpuTime() - c0) / 1e6;
        for (Worker w : ws) {
            if (session.get(w).status() != Status.RUNNING) {
                throw new IllegalStateException(w.id() + " is not running: " + session.get(w));
            }
        }
        session.stop(ws);
        awaitNoJobs("cohort-" + session.id());
        return ms;
    }

    private void bareRound(int n, int round, double[] out) throws Exception {
        Path marks = Files.createDirectories(scratch.resolve("marks-" + n + "-" + round));
        String name = "bare-bench-" + n + "-" + round;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            slurm("sbatch", "--parsable", "--job-name=" + name, "--cpus-per-task=1", "--mem=64M", "--no-requeue",
                    "--output=/dev/null", "--wrap=touch " + marks + "/$SLURM_JOB_ID; exec sleep 600");
        }
        boolean allRunning = false;
        boolean allStarted = false;
        long nextSqueue = 0;
        while (!allRunning || !allStarted) {
            if (!allRunning && System.nanoTime() >= nextSqueue) {
                String states = slurm("squeue", "--noheader", "--name=" + name, "-o", "%T");
                if (states.lines().filter(l -> l.strip().equals("RUNNING")).count() == n) {
                    allRunning = true;
                    out[0] = (System.nanoTime() - t0) / 1e6;
                }
                nextSqueue = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            }
            if (!allStarted) {
                try (var files = Files.list(marks)) {
                    if (files.count() == n) {
                        allStarted = true;
                        out[1] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
            Thread.sleep(5);
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
