package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.QueueProgress;
import io.cohort.Result;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import io.cohort.examples.hpo.HpoExample;
import io.cohort.examples.hpo.HpoTask;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Benchmark 5: the hyperparameter search example's wall time with 1 worker and with 2 workers
 * (cpu=1, 1 GB each: the demo's settings), against training the same grid one setting after the
 * other in one fresh JVM without workers ({@link HpoSequential}: the same {@link HpoTask} code, the
 * same java flags as a worker's, and -XX:ActiveProcessorCount=1, since a worker's JVM sees its CPU
 * quota as one processor). The grid's items each take a second or more: trees of depth 4 to 16 on a
 * generated data set of 60,000 samples (the demo uses 4,000, where an item takes ~20 ms).
 *
 * <p>Times run from the first item put on the queue (workers) or the JVM's start (sequential) to the
 * last worker's (or the JVM's) exit; the session is already open, as a user's is. Each round runs
 * the three, in an order that rotates from round to round; ratios are taken within a round.
 *
 * <p>Arguments: {@code --rounds=F} scales the number of rounds (default 3), {@code --samples=N}
 * the data set's size.
 */
public final class HpoBench {
    static final int[] DEPTHS = {4, 5, 6, 8, 10, 12, 14, 16};
    static final double[] MIN_CHILD = {1, 5};
    static final String[] SUBJECTS = {"sequential", "1 worker", "2 workers", "2 bare JVMs"};

    private final int samples;
    private final List<HpoTask.Params> grid = new ArrayList<>();
    private final Path work;
    private final Path workerScript;
    private final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final Series s = new Series();
    private final boolean variants;

    private HpoBench(int samples, boolean variants) throws IOException {
        this.samples = samples;
        this.variants = variants;
        for (int depth : DEPTHS) {
            for (double minChild : MIN_CHILD) {
                grid.add(new HpoTask.Params(depth, minChild, samples));
            }
        }
        this.work = Files.createTempDirectory("cohort-hpo-bench-");
        // The demo's own worker program, as the demo extracts it.
        this.workerScript = work.resolve("HpoWorker.java");
        try (InputStream in = HpoExample.class.getResourceAsStream("HpoWorker.java")) {
            Files.write(workerScript, in.readAllBytes());
        }
    }

    public static void main(String[] args) throws Exception {
        double scale = 1.0;
        int samples = 60_000;
        boolean variants = false;
        for (String a : args) {
            if (a.startsWith("--rounds=")) {
                scale = Double.parseDouble(a.substring(9));
            } else if (a.startsWith("--samples=")) {
                samples = Integer.parseInt(a.substring(10));
            } else if (a.equals("--variants")) {
                variants = true;
            } else {
                throw new IllegalArgumentException("usage: HpoBench [--rounds=F] [--samples=N] [--variants]; got " + a);
            }
        }
        int rounds = Math.max(2, (int) Math.round(3 * scale));
        HpoBench bench = new HpoBench(samples, variants);
        try {
            bench.run(rounds);
        } finally {
            bench.cleanup();
        }
    }

    private void run(int rounds) throws Exception {
        System.out.printf(Locale.ROOT, "hyperparameter search benchmark, %s, %d cores, %s %s%n",
                LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "grid: %d decision trees (depth %s x min child weight %s) on %d generated samples;"
                + " workers cpu=1, 1 GB; %d rounds%n", grid.size(), Arrays.toString(DEPTHS),
                Arrays.toString(MIN_CHILD), samples, rounds);
        double load0 = loadAverage();
        double loadMax = load0;
        // Warm-up (not counted): this JVM compiles a worker and serves a small search once.
        withWorkers(1, List.of(new HpoTask.Params(2, 1), new HpoTask.Params(3, 1)), Map.of(), null);
        System.out.println("warm-up done (1 worker, 2 small items; not counted)");
        for (int round = 0; round < rounds; round++) {
            System.out.printf("round %d%n", round + 1);
            List<String> subjects = new ArrayList<>(List.of(SUBJECTS));
            if (variants) {
                subjects.add("2 workers, cgroups off");
            }
            for (int k = 0; k < subjects.size(); k++) {
                String subject = subjects.get((k + round) % subjects.size());
                double seconds = switch (subject) {
                    case "sequential" -> sequential(List.of(grid)).get(0);
                    case "2 bare JVMs" -> {
                        List<List<HpoTask.Params>> halves = List.of(new ArrayList<>(), new ArrayList<>());
                        for (int i = 0; i < grid.size(); i++) {
                            halves.get(i % 2).add(grid.get(i));
                        }
                        yield sequential(halves).stream().mapToDouble(Double::doubleValue).max().orElseThrow();
                    }
                    case "1 worker" -> withWorkers(1, grid, Map.of(), "1 worker");
                    case "2 workers" -> withWorkers(2, grid, Map.of(), "2 workers");
                    default -> withWorkers(2, grid, Map.of("local.cgroups", "off"), subject);
                };
                s.add(subject + ".wall", seconds * 1000);
                System.out.printf(Locale.ROOT, "  %-24s %7.2f s%n", subject, seconds);
                loadMax = Math.max(loadMax, loadAverage());
            }
            List<Double> seq = s.get("sequential.wall");
            List<Double> one = s.get("1 worker.wall");
            List<Double> two = s.get("2 workers.wall");
            List<Double> bare = s.get("2 bare JVMs.wall");
            System.out.printf(Locale.ROOT, "  -> speed-up 2 vs 1 workers x%.2f (2 bare JVMs vs 1: x%.2f); 1 worker vs sequential x%.3f"
                            + " (%+.0f ms per item)%n", one.get(round) / two.get(round), seq.get(round) / bare.get(round),
                    one.get(round) / seq.get(round), (one.get(round) - seq.get(round)) / grid.size());
        }
        report(load0, loadMax);
    }

    /**
     * The grid without workers: one fresh JVM per part, all started at once, each training its part
     * one setting after the other; returns each JVM's wall time in seconds, start to exit.
     */
    private List<Double> sequential(List<List<HpoTask.Params>> parts) throws Exception {
        String key = parts.size() == 1 ? "sequential" : "2 bare JVMs";
        List<Process> processes = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        Cpu.Sample cpu0 = Cpu.now();
        long start = System.nanoTime();
        for (int i = 0; i < parts.size(); i++) {
            List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseG1GC", "-XX:-UsePerfData", "-Xmx768m",
                    "-XX:ActiveProcessorCount=1", "-cp", System.getProperty("java.class.path"), HpoSequential.class.getName(),
                    Integer.toString(samples)));
            parts.get(i).forEach(p -> cmd.add(p.maxDepth() + ":" + p.minChildWeight()));
            Path log = work.resolve("sequential-" + i + ".log");
            logs.add(log);
            processes.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
        }
        List<Double> walls = new ArrayList<>();
        double items = 0;
        for (int i = 0; i < parts.size(); i++) {
            Process p = processes.get(i);
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                processes.forEach(Process::destroyForcibly);
                throw new IllegalStateException("the sequential run took over 30 minutes");
            }
            walls.add((System.nanoTime() - start) / 1e9);
            List<String> lines = Files.readAllLines(logs.get(i), StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || lines.stream().filter(l -> l.startsWith("item ")).count() != parts.get(i).size()) {
                throw new IllegalStateException("the sequential run failed (exit " + p.exitValue() + "): " + lines);
            }
            for (String l : lines) {
                String[] f = l.split(" ");
                if (f[0].equals("item")) {
                    items += Double.parseDouble(f[2]);
                } else if (f[0].equals("total") && parts.size() == 1) {
                    s.add(key + ".main", Double.parseDouble(f[1]) * 1000);
                }
            }
        }
        s.add(key + ".items", items * 1000);
        Cpu.Sample cpu = Cpu.now().minus(cpu0);
        s.add(key + ".cpuChildren", cpu.childrenMs());
        return walls;
    }

    /**
     * The grid on a queue drained by n workers, as the demo does it, in a session of its own (opened
     * before the clock starts, as a user's session is); returns the wall time in seconds, from the
     * first put to the last worker's exit.
     */
    private double withWorkers(int n, List<HpoTask.Params> items, Map<String, String> settings, String key) throws Exception {
        SessionOptions.Builder options = SessionOptions.builder().home(work.resolve("sessions")).workingDirectory(work).console(null);
        settings.forEach(options::setting);
        try (Session session = Session.open(options.build())) {
            return withWorkers(session, n, items, key);
        }
    }

    /** key: where the figures go, or null for a run that is not counted. */
    private double withWorkers(Session session, int n, List<HpoTask.Params> items, String key) throws Exception {
        Instant begin = Instant.now();
        Cpu.Sample cpu0 = Cpu.now();
        long start = System.nanoTime();
        WorkQueue q = session.queue("hpo");
        List<Map<String, Object>> values = new ArrayList<>();
        items.forEach(p -> values.add(p.toMap()));
        q.putAll(values);
        q.close();
        long launchStart = System.nanoTime();
        List<Worker> ws = session.launch(LaunchRequest.builder().n(n).cpu(1).memoryGb(1)
                .program(Program.script(workerScript.toString())).build());
        double launchMs = (System.nanoTime() - launchStart) / 1e6;
        QueueProgress drained = q.awaitDrained(Duration.ofMinutes(30));
        var done = session.await(ws, true, Duration.ofMinutes(5));
        double wall = (System.nanoTime() - start) / 1e9;
        if (!drained.drained() || !done.failures().isEmpty()) {
            throw new IllegalStateException("the search with " + n + " workers did not finish: " + drained + ", failures "
                    + done.failures() + "; output of " + ws.get(0).id() + ": " + session.output(ws.get(0)));
        }
        List<Result> results = session.results().withPrefix("hpo/");
        if (results.size() != items.size()) {
            throw new IllegalStateException("expected " + items.size() + " results, got " + results.size());
        }
        if (key != null) {
            // The workers' java is the session's child (its wrapper execs it), so their CPU counts once they are reaped.
            Cpu.Sample cpu = Cpu.now().minus(cpu0);
            s.add(key + ".cpuSelf", cpu.selfMs());
            s.add(key + ".cpuChildren", cpu.childrenMs());
            double itemMs = results.stream().mapToDouble(r -> ((Number) ((Map<?, ?>) r.value()).get("seconds")).doubleValue()).sum() * 1000;
            s.add(key + ".items", itemMs);
            s.add(key + ".launch", launchMs);
            // Start-up of the first worker to deliver: from the first put to its first item's start.
            double firstStart = results.stream().mapToDouble(r -> Duration.between(begin, r.storedAt()).toNanos() / 1e6
                    - ((Number) ((Map<?, ?>) r.value()).get("seconds")).doubleValue() * 1000).min().orElse(Double.NaN);
            s.add(key + ".startup", firstStart);
            Instant lastStored = results.stream().map(Result::storedAt).max(Comparator.naturalOrder()).orElseThrow();
            // How long the worker that ran out of items first waited for the others' last item (the queue's tail).
            Map<String, Instant> lastByWorker = new java.util.HashMap<>();
            results.forEach(r -> lastByWorker.merge(r.workerId(), r.storedAt(), (a, b) -> a.isAfter(b) ? a : b));
            Instant firstDone = lastByWorker.values().stream().min(Comparator.naturalOrder()).orElseThrow();
            s.add(key + ".imbalance", lastByWorker.size() < n ? Double.NaN : Duration.between(firstDone, lastStored).toNanos() / 1e6);
            s.add(key + ".tail", wall * 1000 - Duration.between(begin, lastStored).toNanos() / 1e6);
        }
        return wall;
    }

    private void report(double load0, double loadMax) {
        Report report = new Report();
        List<Double> seq = s.get("sequential.wall");
        List<Double> one = s.get("1 worker.wall");
        List<Double> two = s.get("2 workers.wall");
        List<Double> bare = s.get("2 bare JVMs.wall");
        String bench = "5 hpo search, " + grid.size() + " items";
        report.ratio(bench, "1 worker (cpu=1)", one, "sequential, one fresh JVM", seq);
        report.ratio(bench, "2 workers (cpu=1 each)", two, "1 worker (cpu=1)", one);
        report.ratio(bench, "2 workers (cpu=1 each)", two, "sequential, one fresh JVM", seq);
        report.ratio(bench, "  the machine: 2 bare JVMs, half the grid each", bare, "sequential, one fresh JVM", seq);
        report.ratio(bench, "  2 workers (cpu=1 each)", two, "2 bare JVMs, half the grid each", bare);
        if (s.has("2 workers, cgroups off.wall")) {
            report.ratio(bench, "  variant: 2 workers, local.cgroups=off (no CPU quota)", s.get("2 workers, cgroups off.wall"),
                    "2 workers (cpu=1 each)", two);
        }
        List<Double> speedUp = Stats.ratios(one, two);
        report.value(bench, "speed-up, 2 workers vs 1 (target >= 1.8)", Stats.x(speedUp), "-", "-", "-", speedUp.size());
        List<Double> machine = Stats.ratios(seq, bare);
        report.value(bench, "  the machine's: 2 bare JVMs vs 1 (sequential)", Stats.x(machine), "-", "-", "-", machine.size());
        report.value(bench, "overhead per item, 1 worker vs sequential", Stats.ms(perItem(one, seq, grid.size())), "-", "-", "-",
                Math.min(one.size(), seq.size()));
        report.value(bench, "overhead per item, 2 workers vs 2 bare JVMs", Stats.ms(perItem(two, bare, grid.size() / 2.0)), "-", "-",
                "-", Math.min(two.size(), bare.size()));

        StringBuilder items = new StringBuilder();
        for (String k : new String[] {"1 worker", "2 workers", "2 bare JVMs"}) {
            items.append(String.format(Locale.ROOT, ", %s %.0f ms (x%.3f)", k, Stats.median(s.get(k + ".items")),
                    Stats.median(Stats.ratios(s.get(k + ".items"), s.get("sequential.items")))));
        }
        report.note("5: sum of the items' own times (training + evaluation + model serialisation, as each measures it), median"
                + " over rounds: sequential %.0f ms%s", Stats.median(s.get("sequential.items")), items);
        StringBuilder cpu = new StringBuilder();
        for (String k : new String[] {"sequential", "1 worker", "2 workers", "2 bare JVMs", "2 workers, cgroups off"}) {
            if (s.has(k + ".cpuChildren")) {
                cpu.append(String.format(Locale.ROOT, "; %s: %.0f ms%s", k, Stats.median(s.get(k + ".cpuChildren")),
                        s.has(k + ".cpuSelf") ? String.format(Locale.ROOT, " (+ session JVM %.0f ms)", Stats.median(s.get(k + ".cpuSelf")))
                                : ""));
            }
        }
        report.note("5: CPU time of the training JVMs (workers or bare), median over rounds%s", cpu);
        report.note("5: sequential JVM: start to main() and exit %.0f ms of %.0f ms",
                Stats.median(seq) - Stats.median(s.get("sequential.main")), Stats.median(seq));
        for (String k : new String[] {"1 worker", "2 workers"}) {
            report.note("5: %s: launch() returned after %.0f ms (javac of HpoWorker.java + spawn); first item started %.0f ms"
                            + " after the first put (JVM start, class loading); last result to last exit %.0f ms;"
                            + " wall - (items / workers) = %.0f ms",
                    k, Stats.median(s.get(k + ".launch")), Stats.median(s.get(k + ".startup")), Stats.median(s.get(k + ".tail")),
                    Stats.median(s.get(k + ".wall")) - Stats.median(s.get(k + ".items")) / (k.startsWith("1") ? 1 : 2));
        }
        report.note("5: 2 workers: the one that ran out of items first waited %.0f ms (median) for the other's last item;"
                + " items were queued in the grid's order (depth 4 first; deeper trees take longer)",
                Stats.median(s.get("2 workers.imbalance")));
        report.note("5: 1-minute load average (%d cores; other work shares the machine): %.1f at the start, %.1f at most, %.1f at the end",
                Runtime.getRuntime().availableProcessors(), load0, loadMax, loadAverage());
        report.print();
    }

    /** (subject - baseline) / items, round by round. */
    private static List<Double> perItem(List<Double> subject, List<Double> baseline, double items) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(subject.size(), baseline.size()); i++) {
            r.add((subject.get(i) - baseline.get(i)) / items);
        }
        return r;
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private void cleanup() throws IOException {
        try (Stream<Path> all = Files.walk(work)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
