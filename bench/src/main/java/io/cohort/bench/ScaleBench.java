package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Worker;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark 12 (issue 13): how the session's costs grow with the number of local workers. For 1, 8,
 * 32, 128 and 256 shell workers ({@code sleep 600}, 0.01 CPU and 20 MB each): launch to all running,
 * the session JVM's CPU for that, its heap after a GC, its VmRSS and its threads while they run, and
 * the stop of them all. The baseline is the same number of {@code sleep} processes started by
 * ProcessBuilder in this JVM, in the same run, timed to all started.
 *
 * <p>Run: {@code bench/run.sh 12} (one fresh session per size, sizes in order; 3 rounds each).
 */
public final class ScaleBench {
    private ScaleBench() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {1, 8, 32, 128, 256};
        int rounds = 3;
        Path home = Files.createTempDirectory("cohort-bench-scale-");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        System.out.println("== 12. local workers at scale: launch to all running, session CPU and memory (median of " + rounds + ")");
        System.out.printf(Locale.ROOT, "  %5s %12s %12s %8s %12s %12s %12s %9s %10s%n", "n", "running ms", "bare PB ms",
                "ratio", "session CPU", "heap MB", "VmRSS MB", "threads", "stop ms");
        for (int n : sizes) {
            List<Double> running = new ArrayList<>();
            List<Double> bare = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            List<Double> heap = new ArrayList<>();
            List<Double> rss = new ArrayList<>();
            List<Double> threads = new ArrayList<>();
            List<Double> stop = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                bare.add(bare(n));
                try (Session s = Session.open(SessionOptions.builder().home(home).console(null).cpuOvercommit(1000)
                        .stopGrace(Duration.ofSeconds(1)).build())) {
                    long cpu0 = os.getProcessCpuTime();
                    long t0 = System.nanoTime();
                    List<Worker> ws = s.launch(LaunchRequest.of(n, 0.01, 0.02, Program.shell("sleep 600")));
                    var result = s.await(ws, false, Duration.ofMinutes(2));
                    running.add((System.nanoTime() - t0) / 1e6);
                    cpu.add((os.getProcessCpuTime() - cpu0) / 1e6);
                    if (!result.failures().isEmpty()) {
                        throw new IllegalStateException(result.failures().size() + " of " + n + " workers did not start: "
                                + result.failures().get(0).reason());
                    }
                    System.gc();
                    Runtime rt = Runtime.getRuntime();
                    heap.add((rt.totalMemory() - rt.freeMemory()) / 1e6);
                    rss.add(rssMb());
                    threads.add((double) Thread.activeCount());
                    long s0 = System.nanoTime();
                    s.stop(ws);
                    stop.add((System.nanoTime() - s0) / 1e6);
                }
            }
            double ratio = Stats.median(running) / Stats.median(bare);
            System.out.printf(Locale.ROOT, "  %5d %12.1f %12.1f %7.2fx %9.0f ms %12.1f %12.1f %9.0f %10.1f%n", n,
                    Stats.median(running), Stats.median(bare), ratio, Stats.median(cpu), Stats.median(heap),
                    Stats.median(rss), Stats.median(threads), Stats.median(stop));
        }
        System.out.printf(Locale.ROOT, "  load average now: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
    }

    /** Milliseconds to start n {@code sleep 600} processes with ProcessBuilder; they are killed after. */
    private static double bare(int n) throws Exception {
        List<Process> ps = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ps.add(new ProcessBuilder("sleep", "600").redirectErrorStream(true).start());
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        for (Process p : ps) {
            p.destroyForcibly();
        }
        for (Process p : ps) {
            p.waitFor();
        }
        return ms;
    }

    private static double rssMb() throws java.io.IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }
}
