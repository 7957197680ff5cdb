package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Run in a fresh JVM by benchmark 3 (this JVM is the session JVM): opens a session, brings it to
 * N = 0, 16, 64 running `sleep 300` workers, and at each N prints the heap used after GC, the
 * thread count, VmRSS and open file descriptors; then stops the workers and closes the session.
 */
public final class MemoryProbe {
    private MemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        int[] levels = {0, 16, 64};
        LineClock clock = new LineClock();
        SessionOptions options = SessionOptions.builder().home(Path.of(args[0])).workingDirectory(Path.of(args[1]))
                .console(clock).cpuOvercommit(1000).stopGrace(Ctx.STOP_GRACE).build();
        try (Session session = Session.open(options)) {
            List<Worker> all = new ArrayList<>();
            for (int n : levels) {
                if (n > all.size()) {
                    List<Worker> ws = session.launch(LaunchRequest.of(n - all.size(), 0.01, 0.02, Program.shell("sleep 300")));
                    all.addAll(ws);
                    var r = session.await(ws, false, Duration.ofSeconds(60));
                    for (Worker w : session.list()) {
                        if (w.status() != Status.RUNNING) {
                            throw new IllegalStateException("not running: " + w + " " + r);
                        }
                    }
                }
                Ctx.pause(300);
                measure(n);
            }
            long s0 = System.nanoTime();
            session.stop(List.of());
            System.out.printf(Locale.ROOT, "result stop64=%.1f%n", (System.nanoTime() - s0) / 1e6);
            long c0 = System.nanoTime();
            session.close();
            System.out.printf(Locale.ROOT, "result close=%.1f%n", (System.nanoTime() - c0) / 1e6);
        }
    }

    private static void measure(int n) throws Exception {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Ctx.pause(50);
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        long fds;
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        System.out.printf(Locale.ROOT, "result n=%d heap=%d threads=%d rss=%d fds=%d%n", n, heap, threads, rss, fds);
    }
}
