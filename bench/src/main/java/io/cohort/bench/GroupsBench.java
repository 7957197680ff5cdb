package io.cohort.bench;

import io.cohort.ElasticPool;
import io.cohort.GroupRole;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.PoolOptions;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import io.cohort.WorkerGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark 9 (docs/groups.md): launch to "group ready" (the rendezvous made and its files written)
 * for 4, 16 and 64 shell workers, against the same launch awaited until every worker runs (the
 * baseline: what a hand-rolled rendezvous could at best wait for); and an elastic pool draining a
 * queue of uneven items against a fixed pool of its maximum size: wall time and worker-seconds.
 *
 * <p>Run: {@code bench/run.sh 9}
 */
public final class GroupsBench {
    private GroupsBench() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Files.createTempDirectory("cohort-bench-groups-");
        int rounds = 4;
        try (Session s = Session.open(SessionOptions.builder().home(home).console(null).cpuOvercommit(64)
                .stopGrace(Duration.ofSeconds(1)).build())) {
            System.out.println("== 9a. launch to group ready vs launch to all running (shell workers, median of " + rounds + ")");
            System.out.printf(Locale.ROOT, "  %-6s %14s %18s %8s%n", "n", "group ready ms", "all running ms", "ratio");
            int k = 0;
            for (int n : new int[] {4, 16, 64}) {
                List<Double> ready = new ArrayList<>();
                List<Double> running = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    LaunchRequest sleep = LaunchRequest.of(n, 0.01, 0.02, Program.shell("sleep 60"));
                    // Alternating which goes first, so neither gains from the other's warm-up.
                    for (int which : r % 2 == 0 ? new int[] {0, 1} : new int[] {1, 0}) {
                        long t0 = System.nanoTime();
                        if (which == 0) {
                            List<Worker> plain = s.launch(sleep);
                            s.await(plain, false, Duration.ofSeconds(120));
                            running.add((System.nanoTime() - t0) / 1e6);
                            s.stop(plain);
                        } else {
                            WorkerGroup g = s.launchGroup("g" + (++k), List.of(GroupRole.of("worker", sleep)));
                            g.awaitReady(Duration.ofSeconds(120));
                            ready.add((System.nanoTime() - t0) / 1e6);
                            g.stop();
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "  %-6d %14.1f %18.1f %8s%n", n, Stats.median(ready), Stats.median(running),
                        String.format(Locale.ROOT, "x%.2f", Stats.median(ready) / Stats.median(running)));
            }

            System.out.println("== 9b. elastic pool (min 0, max 4, grace 300 ms) vs a fixed pool of 4, one queue of 40 uneven"
                    + " items (2 x 4000 ms first, then 38 x 50 ms), python3 workers");
            LaunchRequest worker = LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.PYTHON3, """
                    import time, cohort_client as cohort
                    for item in cohort.queue(__import__("os").environ["BENCH_QUEUE"]):
                        time.sleep(item.value["ms"] / 1000)
                    """));
            double[] fixed = drain(s, "fixed", worker, false);
            double[] elastic = drain(s, "elastic", worker, true);
            System.out.printf(Locale.ROOT, "  fixed pool of 4:  %.2f s wall, %.2f worker-seconds%n", fixed[0], fixed[1]);
            System.out.printf(Locale.ROOT, "  elastic pool:     %.2f s wall, %.2f worker-seconds (peak %d workers)%n",
                    elastic[0], elastic[1], (int) elastic[2]);
            System.out.printf(Locale.ROOT, "  elastic/fixed:    wall x%.2f, worker-seconds x%.2f%n", elastic[0] / fixed[0], elastic[1] / fixed[1]);
        }
    }

    /** Drains one queue of uneven items; returns {wall seconds, worker-seconds, peak workers}. */
    private static double[] drain(Session s, String name, LaunchRequest worker, boolean elastic) throws Exception {
        WorkQueue q = s.queue(name);
        for (int i = 0; i < 40; i++) {
            // Two long items first: while they run, the short ones are soon done and a fixed pool idles.
            q.put(Map.of("ms", i < 2 ? 4000 : 50));
        }
        q.close();
        LaunchRequest mine = new LaunchRequest(4, worker.cpu(), worker.memoryGb(), 0, worker.program(), Map.of("BENCH_QUEUE", name));
        long t0 = System.nanoTime();
        List<Worker> ws;
        int peak;
        if (elastic) {
            try (ElasticPool pool = s.pool(name, mine.withN(1), new PoolOptions(0, 4, Duration.ofMillis(300)))) {
                q.awaitDrained(Duration.ofMinutes(5));
                while (pool.live() > 0) {
                    Thread.sleep(20); // a benchmark's wait for the last exits, not a test's synchronisation
                }
                ws = pool.workers();
                peak = pool.peak();
            }
        } else {
            ws = s.launch(mine);
            s.await(ws, true, Duration.ofMinutes(5));
            peak = 4;
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double workerSeconds = 0;
        for (Worker w : ws) {
            workerSeconds += s.get(w).duration().toMillis() / 1000.0;
        }
        return new double[] {wall, workerSeconds, peak};
    }
}
