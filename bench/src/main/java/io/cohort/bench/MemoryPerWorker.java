package io.cohort.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 3: what one running worker costs the session JVM. Each repetition is a fresh JVM
 * ({@link MemoryProbe}) measured at N = 0 (the baseline), 16 and 64 running workers; the cost per
 * worker is the least-squares slope over N.
 */
final class MemoryPerWorker {
    private static final String[] METRICS = {"heap", "rss", "threads", "fds"};
    private final Ctx ctx;
    private final Report report;

    MemoryPerWorker(Ctx ctx, Report report) {
        this.ctx = ctx;
        this.report = report;
    }

    void run() throws Exception {
        System.out.println("== 3. session memory per running worker (sleep 300; N = 0, 16, 64)");
        int reps = ctx.rounds(3);
        Series slopes = new Series();
        Series atZero = new Series();
        Series stop = new Series();
        for (int rep = 0; rep < reps; rep++) {
            Map<Integer, Map<String, Double>> byN = probe(stop);
            for (String m : METRICS) {
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                byN.forEach((n, vals) -> {
                    x.add((double) n);
                    y.add(vals.get(m));
                });
                slopes.add(m, Stats.slope(x, y));
                slopes.add(m + ".marginal", (byN.get(64).get(m) - byN.get(16).get(m)) / 48);
                atZero.add(m, byN.get(0).get(m));
            }
            System.out.printf(Locale.ROOT, "  rep %d: %s%n", rep + 1, byN);
        }
        String b = "3 session cost per worker";
        report.value(b, "heap after GC, bytes per running worker: slope over N=0,16,64", range(slopes.get("heap"), 0),
                "heap at N=0", range(atZero.get("heap"), 0), "-", reps);
        report.value(b, "  same, marginal 16 -> 64", range(slopes.get("heap.marginal"), 0), "", "", "-", reps);
        report.value(b, "VmRSS, bytes per running worker: slope over N=0,16,64", range(slopes.get("rss"), 0),
                "VmRSS at N=0", range(atZero.get("rss"), 0), "-", reps);
        report.value(b, "  same, marginal 16 -> 64", range(slopes.get("rss.marginal"), 0), "", "", "-", reps);
        report.value(b, "threads per running worker (slope)", range(slopes.get("threads"), 2),
                "threads at N=0", range(atZero.get("threads"), 0), "-", reps);
        report.value(b, "open fds per running worker (slope)", range(slopes.get("fds"), 2),
                "fds at N=0", range(atZero.get("fds"), 0), "-", reps);
        report.value(b, "stop() of 64 running sleep workers", Stats.ms(stop.get("stop64")), "-", "-", "-", reps);
        report.value(b, "close() of the session afterwards", Stats.ms(stop.get("close")), "-", "-", "-", reps);
    }

    private static String range(List<Double> xs, int decimals) {
        String f = "%." + decimals + "f";
        return String.format(Locale.ROOT, f + " [" + f + "-" + f + "]", Stats.median(xs), Stats.min(xs), Stats.max(xs));
    }

    private Map<Integer, Map<String, Double>> probe(Series stop) throws Exception {
        List<String> cmd = List.of(ctx.java, "-cp", ctx.classPath, MemoryProbe.class.getName(), ctx.sessions.toString(),
                ctx.work.toString());
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).start();
        Map<Integer, Map<String, Double>> byN = new java.util.TreeMap<>();
        List<String> all = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                all.add(l);
                if (l.startsWith("result ")) {
                    Map<String, Double> kv = new HashMap<>();
                    for (String pair : l.substring(7).trim().split(" ")) {
                        String[] a = pair.split("=");
                        kv.put(a[0], Double.parseDouble(a[1]));
                    }
                    if (kv.containsKey("n")) {
                        byN.put(kv.get("n").intValue(), kv);
                    } else {
                        kv.forEach(stop::add);
                    }
                }
            }
        } finally {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (p.exitValue() != 0 || byN.size() != 3) {
            throw new IllegalStateException("memory probe failed: " + String.join("\n", all));
        }
        return byN;
    }
}
