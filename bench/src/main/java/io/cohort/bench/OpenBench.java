package io.cohort.bench;

import io.cohort.Session;
import io.cohort.SessionOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Benchmark 13 (issue 13): {@code Session.open()} in a fresh JVM, and the session's memory with no
 * workers. Each round starts fresh JVMs on the cohort jar, as {@code bin/cohort} does, in rotating
 * order:
 * <ul>
 *   <li><b>bare JVM</b> (the baseline): the same class path, a main that only prints: the JVM's own start;</li>
 *   <li><b>open, no archive</b>: {@code Session.open()} with the defaults (javac warmed up in the background);</li>
 *   <li><b>open, archive</b>: the same with {@code bin/cohort}'s class-data archive ({@code cohort.jsa});</li>
 *   <li><b>open, archive, java.warmUp=off</b>: as {@code cohort serve} opens.</li>
 * </ul>
 * Each JVM reports {@code open()}'s wall time, its own CPU time and its uptime when {@code open()}
 * returns, and its VmRSS and RssAnon (private memory: VmRSS less the mapped jar, JDK and archive pages,
 * which are shared and clean) then and 3 s later (when the javac warm-up, if any, is done).
 *
 * <p>Run: {@code bench/run.sh 13 [--rounds=F]} (7 rounds; the jar and the archive are built first).
 */
public final class OpenBench {
    private OpenBench() {
    }

    /** The probe, in its own fresh JVM: args[0] "bare" or "open". */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) throws Exception {
            long t0 = System.nanoTime();
            if (args[0].equals("bare")) {
                long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
                long cpu = ProcessHandle.current().info().totalCpuDuration().orElseThrow().toMillis();
                System.out.println("RESULT open=0 cpu=" + cpu + " uptime=" + uptime + " rss=" + rssKb() + " anon="
                        + rssKb("RssAnon:") + " later=" + rssKb() + " lateranon=" + rssKb("RssAnon:"));
                return;
            }
            Path home = Path.of(args[1]);
            try (Session s = Session.open(SessionOptions.builder().home(home).console(new java.io.PrintStream(
                    java.io.OutputStream.nullOutputStream())).build())) {
                long t1 = System.nanoTime();
                long cpu = ProcessHandle.current().info().totalCpuDuration().orElseThrow().toMillis();
                long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
                long rss = rssKb();
                long anon = rssKb("RssAnon:");
                Thread.sleep(3000);
                System.out.printf(Locale.ROOT, "RESULT open=%.1f cpu=%d uptime=%d rss=%d anon=%d later=%d lateranon=%d%n",
                        (t1 - t0) / 1e6, cpu, uptime, rss, anon, rssKb(), rssKb("RssAnon:"));
            }
        }

        private static long rssKb() throws IOException {
            return rssKb("VmRSS:");
        }

        /** A line of /proc/self/status in KB: VmRSS (all resident pages) or RssAnon (the private ones). */
        private static long rssKb(String field) throws IOException {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith(field)) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
            return -1;
        }
    }

    public static void main(String[] args) throws Exception {
        double scale = 1;
        for (String a : args) {
            if (a.startsWith("--rounds=")) {
                scale = Double.parseDouble(a.substring(9));
            }
        }
        int rounds = Math.max(2, (int) Math.round(7 * scale));
        Path root = Path.of(System.getProperty("cohort.bench.root", ".")).toAbsolutePath();
        Path jar = root.resolve("cohort-cli/target/cohort.jar");
        Path jsa = root.resolve("cohort-cli/target/cohort.jsa");
        if (!Files.isRegularFile(jar) || !Files.isRegularFile(jsa)) {
            throw new IllegalStateException("benchmark 13 needs " + jar + " and " + jsa + ": run it with bench/run.sh 13,"
                    + " which builds the jar and lets bin/cohort make the archive");
        }
        String cp = jar + ":" + Path.of(OpenBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String archive = "-XX:SharedArchiveFile=" + jsa;
        Map<String, List<String>> variants = new LinkedHashMap<>();
        variants.put("bare JVM (baseline)", List.of("bare"));
        variants.put("open, no archive", List.of("open"));
        variants.put("open, archive", List.of(archive, "-Xshare:auto", "open"));
        variants.put("open, archive, java.warmUp=off", List.of(archive, "-Xshare:auto", "-Dcohort.java.warmUp=off", "open"));
        Map<String, List<Map<String, Double>>> results = new LinkedHashMap<>();
        variants.keySet().forEach(k -> results.put(k, new ArrayList<>()));
        Path work = Files.createTempDirectory("cohort-bench-open-");
        System.out.printf(Locale.ROOT, "== 13. Session.open() in a fresh JVM on cohort.jar, %d rounds, order rotating; load %s%n",
                rounds, Files.readString(Path.of("/proc/loadavg")).strip());
        List<String> names = new ArrayList<>(variants.keySet());
        try {
            run(names.get(0), variants.get(names.get(0)), cp, work, -1); // warm-up of the page cache, not counted
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get((i + r) % names.size());
                    results.get(name).add(run(name, variants.get(name), cp, work, r));
                }
            }
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        double bare = Stats.median(results.get(names.get(0)).stream().map(m -> m.get("uptime")).toList());
        System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s %10s %10s %12s %12s%n", "median [min-max]", "open ms", "CPU ms",
                "JVM+open ms", "RSS MB", "anon MB", "RSS +3 s", "anon +3 s");
        for (String name : names) {
            List<Map<String, Double>> rs = results.get(name);
            if (name.equals(names.get(0))) {
                System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s %10s %10s%n", name, "-", cell(rs, "cpu", 1),
                        cell(rs, "uptime", 1), cell(rs, "rss", 1024), cell(rs, "anon", 1024));
                continue;
            }
            System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s %10s %10s %12s %12s%n", name, cell(rs, "open", 1),
                    cell(rs, "cpu", 1), cell(rs, "uptime", 1), cell(rs, "rss", 1024), cell(rs, "anon", 1024),
                    cell(rs, "later", 1024), cell(rs, "lateranon", 1024));
        }
        double bareRss = Stats.median(results.get(names.get(0)).stream().map(m -> m.get("rss")).toList());
        for (String name : names.subList(1, names.size())) {
            double up = Stats.median(results.get(name).stream().map(m -> m.get("uptime")).toList());
            double rss = Stats.median(results.get(name).stream().map(m -> m.get("later")).toList());
            System.out.printf(Locale.ROOT, "  %-34s JVM start + open: x%.1f the bare JVM's start; RSS 3 s later: x%.2f a bare"
                    + " JVM's%n", name, up / bare, rss / bareRss);
        }
    }

    private static String cell(List<Map<String, Double>> rs, String key, double div) {
        List<Double> v = rs.stream().map(m -> m.get(key) / div).sorted().toList();
        return String.format(Locale.ROOT, "%.0f [%.0f-%.0f]", Stats.median(v), v.get(0), v.get(v.size() - 1));
    }

    private static Map<String, Double> run(String name, List<String> args, String cp, Path work, int round)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp));
        command.addAll(args.subList(0, args.size() - 1));
        command.add(Probe.class.getName());
        command.add(args.get(args.size() - 1));
        Path home = Files.createDirectories(work.resolve("home-" + round + "-" + Math.abs(name.hashCode())));
        command.add(home.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(name + " failed: " + out);
        }
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " printed no result: " + out));
        Map<String, Double> m = new LinkedHashMap<>();
        for (String kv : line.substring(7).split(" ")) {
            String[] p2 = kv.split("=");
            m.put(p2[0], Double.parseDouble(p2[1]));
        }
        return m;
    }
}
