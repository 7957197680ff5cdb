package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Worker;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The in-process cost of the Java API calls the Python client makes over HTTP (benchmark 7's
 * baseline, run by bench/python/bench_workers.py): list, await of an ended worker, stop of an ended
 * worker, and a launch of one shell worker. Prints one line of JSON: median microseconds per call.
 *
 * <p>Arguments: {@code CALLS LAUNCHES} (default 200 20).
 */
public final class ApiCallCost {
    private ApiCallCost() {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int launches = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path home = Files.createTempDirectory("cohort-api-cost-");
        try (Session s = Session.open(SessionOptions.builder().home(home).console(new PrintStream(OutputStream.nullOutputStream()))
                .build())) {
            LaunchRequest one = LaunchRequest.of(1, 0.1, 0.1, Program.shell("true"));
            Worker ended = s.launch(one).get(0);
            s.await(List.of(ended), true, Duration.ZERO);
            for (int round = 0; round < 2; round++) {  // the first round warms up the JIT, the second is counted
                List<Long> list = new ArrayList<>();
                List<Long> await = new ArrayList<>();
                List<Long> stop = new ArrayList<>();
                List<Long> launch = new ArrayList<>();
                for (int i = 0; i < calls; i++) {
                    long t0 = System.nanoTime();
                    s.list();
                    long t1 = System.nanoTime();
                    s.await(List.of(ended.id()), true, Duration.ofSeconds(60));
                    long t2 = System.nanoTime();
                    s.stop(List.of(ended.id()));
                    long t3 = System.nanoTime();
                    list.add(t1 - t0);
                    await.add(t2 - t1);
                    stop.add(t3 - t2);
                }
                List<Worker> launched = new ArrayList<>();
                for (int i = 0; i < launches; i++) {
                    long t0 = System.nanoTime();
                    launched.addAll(s.launch(one));
                    launch.add(System.nanoTime() - t0);
                    s.await(launched, true, Duration.ZERO);
                }
                if (round == 1) {
                    System.out.printf(Locale.ROOT, "{\"list\": %.1f, \"await\": %.1f, \"stop\": %.1f, \"launch\": %.1f, \"workers\": %d}%n",
                            median(list), median(await), median(stop), median(launch), s.list().size());
                }
            }
        } finally {
            try (var files = Files.walk(home)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double median(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return sorted.get(sorted.size() / 2) / 1000.0;
    }
}
