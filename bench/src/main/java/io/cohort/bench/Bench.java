package io.cohort.bench;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;

/**
 * Runs the benchmarks and prints a summary table. Every figure is a ratio against a baseline
 * measured in the same run, subject and baseline alternating round by round.
 *
 * <p>Arguments: {@code [1] [2] [3]} to pick benchmarks (default all), {@code --rounds=F} to scale
 * the number of rounds (default 1.0).
 */
public final class Bench {
    private Bench() {
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    public static void main(String[] args) throws Exception {
        double scale = 1.0;
        Set<String> which = new java.util.TreeSet<>();
        for (String a : args) {
            if (a.startsWith("--rounds=")) {
                scale = Double.parseDouble(a.substring(9));
            } else {
                which.add(a);
            }
        }
        if (which.isEmpty()) {
            which = Set.of("1", "2", "3");
        }
        Ctx ctx = new Ctx(scale);
        Report report = new Report();
        System.out.printf("cohort benchmarks, %s, %d cores, %s %s, scratch %s%n",
                LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), ctx.work);
        long t0 = System.nanoTime();
        double[] load = {loadAverage(), loadAverage(), 0};
        Thread watch = new Thread(() -> {
            while (true) {
                load[1] = Math.max(load[1], loadAverage());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "load-watch");
        watch.setDaemon(true);
        watch.start();
        try {
            if (which.contains("1")) {
                new LaunchLatency(ctx, report).run();
            }
            if (which.contains("2")) {
                new FanOut(ctx, report).run();
            }
            if (which.contains("3")) {
                new MemoryPerWorker(ctx, report).run();
            }
            List<String> stray = ctx.strayLines();
            report.note("worker output lines other than the program's own, over all sessions: %d%s", stray.size(),
                    stray.isEmpty() ? "" : " (first: " + stray.get(0) + ")");
        } finally {
            watch.interrupt();
            report.note("1-minute load average during the run (%d cores; other work shares the machine): %.1f at the start, %.1f at most,"
                    + " %.1f at the end", Runtime.getRuntime().availableProcessors(), load[0], load[1], loadAverage());
            report.print();
            System.out.printf("%ntotal %.0f s%n", (System.nanoTime() - t0) / 1e9);
            ctx.cleanup();
        }
    }
}
