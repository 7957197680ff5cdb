package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.core.kernel.ProgramPreparer;
import io.cohort.local.CgroupProbe;
import io.cohort.local.ProcScanProbe;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 2: launch to completion of 32 hello-world Java workers (one launch, n=32, cpu=1 each
 * with cpuOvercommit=16, 0.25 GB each) against 32 bare JVMs running the same precompiled class,
 * started by GNU parallel (or, without it, from this JVM all at once). Diagnostic variants peel
 * the session apart: the worker's exact java command without a session, the same behind the
 * session's setsid + /bin/sh wrapper, the session without cgroups, and JVM flags given through
 * -Dcohort.java.options. Each round runs every variant once, in an order that rotates.
 */
final class FanOut {
    static final int N = 32;
    private static final double MEMORY_GB = 0.25;
    /** LocalWorker's wrapper script, copied: joins the cgroups named first (none here), then execs the program. */
    static final String JOIN_AND_EXEC = "n=$1; shift; while [ \"$n\" -gt 0 ]; do"
            + " echo $$ > \"$1\" || { echo \"cohort: cannot join cgroup $1\" >&2; exit 125; }; shift; n=$((n-1)); done;"
            + " exec \"$@\"";
    static final String G1 = "-XX:+UseG1GC";
    private static final String SERIAL_SET = "-XX:+UseSerialGC (what a <2 core or <1.8 GB cgroup picks)";
    private static final String APPCDS_SET = "AppCDS (dynamic archive, Hello in a jar)";
    private static final String NOCDS_SET = "-Xshare:off (no CDS at all)";
    static final String TIERED = "-XX:TieredStopAtLevel=1";
    static final String FAST = "-XX:+UseG1GC -XX:TieredStopAtLevel=1 -XX:-UsePerfData";

    private final Ctx ctx;
    private final Report report;
    private final Series s = new Series();
    private String cgroupsName = "?";
    private Map<String, Double> profile = Map.of();

    FanOut(Ctx ctx, Report report) {
        this.ctx = ctx;
        this.report = report;
    }

    private interface Variant {
        void run(String key) throws Exception;
    }

    void run() throws Exception {
        System.out.println("== 2. launch to completion of " + N + " hello-world Java workers");
        String baseline = ctx.parallel != null ? "parallel" : "pbBare";
        String baselineName = ctx.parallel != null ? "GNU parallel -j32 java -cp DIR Hello"
                : "32 x java -cp DIR Hello, started at once by ProcessBuilder (GNU parallel not found)";
        System.out.println("  baseline: " + baselineName);
        Map<String, LineClock> clocks = new LinkedHashMap<>();
        Map<String, Session> sessions = new LinkedHashMap<>();
        try {
            open(sessions, clocks, "sDefault", Map.of());
            open(sessions, clocks, "sCgroupsOff", Map.of("local.cgroups", "off"));
            open(sessions, clocks, "sG1", Map.of("java.options", G1));
            open(sessions, clocks, "sTiered1", Map.of("java.options", TIERED));
            open(sessions, clocks, "sFast", Map.of("java.options", FAST));
            Session def = sessions.get("sDefault");

            // javac in the session JVM, per launch (warm), and the exact command a worker runs.
            ProgramPreparer preparer = new ProgramPreparer(def.options().workingDirectory(), io.cohort.core.CoreSettings.from(def.options()), def.directory().resolve("clients/python/cohort_run.py"));
            List<String> exact = null;
            for (int i = 0; i < 8; i++) {
                long c0 = System.nanoTime();
                exact = preparer.prepare(Program.code(Ctx.HELLO), ctx.work.resolve("prep").resolve(Integer.toString(i)))
                        .command(WorkerSpec.bytes(MEMORY_GB));
                if (i >= 3) {
                    s.add("javac", Ctx.ms(System.nanoTime() - c0));
                }
            }
            for (int i = 0; i < 5; i++) {
                long c0 = System.nanoTime();
                preparer.prepare(Program.shell("echo hello"), ctx.work.resolve("prep-sh"));
                s.add("shPrepare", Ctx.ms(System.nanoTime() - c0));
            }
            List<String> wrapped = new ArrayList<>(List.of("setsid", "/bin/sh", "-c", JOIN_AND_EXEC, "cohort-worker", "0"));
            wrapped.addAll(exact);
            System.out.println("  worker command: " + String.join(" ", exact));

            perJvm(exact);

            Map<String, Variant> variants = new LinkedHashMap<>();
            if (ctx.parallel != null) {
                List<String> cmd = new ArrayList<>(List.of(ctx.parallel, "-j" + N));
                cmd.addAll(ctx.bareJava());
                cmd.add(":::");
                for (int i = 1; i <= N; i++) {
                    cmd.add(Integer.toString(i));
                }
                variants.put("parallel", key -> batch(key, () -> Bare.run(cmd)));
            }
            List<String> bareCmd = ctx.bareJava();
            List<String> exactCmd = exact;
            variants.put("pbBare", key -> batch(key, () -> Bare.fanOut(bareCmd, N)));
            variants.put("pbExact", key -> batch(key, () -> Bare.fanOut(exactCmd, N)));
            variants.put("pbWrapped", key -> batch(key, () -> Bare.fanOut(wrapped, N)));
            List<String> serial = ctx.bareJava("-XX:+UseSerialGC");
            variants.put("pbSerial", key -> batch(key, () -> Bare.fanOut(serial, N)));
            for (String k : sessions.keySet()) {
                variants.put(k, key -> sessionRun(key, sessions.get(k), clocks.get(k)));
            }
            // One unmeasured pass warms everything up.
            for (Map.Entry<String, Variant> v : variants.entrySet()) {
                v.getValue().run("warm");
            }
            List<String> keys = new ArrayList<>(variants.keySet());
            int rounds = ctx.rounds(8);
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < keys.size(); i++) {
                    String k = keys.get((i + r) % keys.size());
                    variants.get(k).run(k);
                    Ctx.pause(150);
                }
                System.out.printf(Locale.ROOT, "  round %d:%s%n", r + 1, keys.stream()
                        .map(k -> " " + k + "=" + Stats.f(last(s.get(k + ".wall")))).reduce("", String::concat));
            }
            probes(def, wrapped.subList(0, 6));
            profile = SessionProfile.profile(def, Program.code(Ctx.HELLO), N, 8, ctx.work.resolve("session.jfr"));
        } finally {
            sessions.values().forEach(Session::close);
        }
        summarize(baseline, baselineName);
    }

    private static double last(List<Double> xs) {
        return xs.isEmpty() ? Double.NaN : xs.get(xs.size() - 1);
    }

    private void open(Map<String, Session> sessions, Map<String, LineClock> clocks, String key, Map<String, String> settings) {
        LineClock clock = new LineClock();
        clocks.put(key, clock);
        sessions.put(key, ctx.open(clock, 16, settings));
    }

    private interface BatchRun {
        Bare.Batch run() throws Exception;
    }

    private void batch(String key, BatchRun run) throws Exception {
        Cpu.Sample c0 = Cpu.now();
        Bare.Batch b = run.run();
        Cpu.Sample c = Cpu.now().minus(c0);
        if (b.helloLines() != N) {
            throw new IllegalStateException(key + ": " + b.helloLines() + " hello lines, expected " + N);
        }
        if (key.equals("warm")) {
            return;
        }
        s.add(key + ".wall", Ctx.ms(b.endNanos() - b.startNanos()));
        s.add(key + ".lastMain", Ctx.ms(b.mainNanos().stream().mapToLong(Long::longValue).max().orElseThrow() - b.startNanos()));
        s.add(key + ".cpuChildren", c.childrenMs());
        s.add(key + ".cpuSelf", c.selfMs());
        s.add(key + ".cpu", c.childrenMs() + c.selfMs());
    }

    private void sessionRun(String key, Session session, LineClock clock) throws Exception {
        Cpu.Sample c0 = Cpu.now();
        long t0 = System.nanoTime();
        Instant i0 = Instant.now();
        List<Worker> ws = session.launch(LaunchRequest.of(N, 1, MEMORY_GB, Program.code(Ctx.HELLO)));
        long t1 = System.nanoTime();
        session.await(ws, true, Duration.ofSeconds(120));
        long t2 = System.nanoTime();
        Cpu.Sample c = Cpu.now().minus(c0);
        long lastMain = 0;
        long lastLine = 0;
        long lastFinished = 0;
        long lastStarted = 0;
        for (Worker w0 : ws) {
            Worker w = session.get(w0);
            if (w.status() != Status.SUCCEEDED) {
                throw new IllegalStateException(key + ": " + w);
            }
            LineClock.Line line = clock.await(w.id(), 30, TimeUnit.SECONDS);
            long main = line == null ? -1 : Ctx.mainNanos(line.text());
            if (main < 0) {
                throw new IllegalStateException(key + ": " + w.id() + " printed " + line);
            }
            lastMain = Math.max(lastMain, main - t0);
            lastLine = Math.max(lastLine, line.nanos() - t0);
            lastFinished = Math.max(lastFinished, Duration.between(i0, w.finishedAt()).toNanos());
            lastStarted = Math.max(lastStarted, Duration.between(i0, w.startedAt()).toNanos());
        }
        if (key.equals("warm")) {
            return;
        }
        s.add(key + ".wall", Ctx.ms(t2 - t0));
        s.add(key + ".call", Ctx.ms(t1 - t0));
        s.add(key + ".lastStarted", Ctx.ms(lastStarted));
        s.add(key + ".lastMain", Ctx.ms(lastMain));
        s.add(key + ".lastLine", Ctx.ms(lastLine));
        s.add(key + ".lastFinished", Ctx.ms(lastFinished));
        s.add(key + ".cpuChildren", c.childrenMs());
        s.add(key + ".cpuSelf", c.selfMs());
        s.add(key + ".cpu", c.childrenMs() + c.selfMs());
    }

    /** Per-JVM start cost of each flag set: one JVM at a time, flag sets interleaved. */
    private void perJvm(List<String> exact) throws Exception {
        // AppCDS archives only from jars (a non-empty class directory on the path makes the dump fail,
        // and workers run from one), so this is the best case: Hello alone in a jar.
        Path jar = ctx.work.resolve("hello.jar");
        int rc = java.util.spi.ToolProvider.findFirst("jar").orElseThrow()
                .run(System.out, System.err, "--create", "--file", jar.toString(), "-C", ctx.helloDir.toString(), ".");
        Path jsa = ctx.work.resolve("hello.jsa");
        Bare.run(List.of(ctx.java, "-XX:ArchiveClassesAtExit=" + jsa, "-cp", jar.toString(), "Hello"));
        if (rc != 0 || !java.nio.file.Files.exists(jsa)) {
            throw new IllegalStateException("could not make the AppCDS archive " + jsa);
        }
        Map<String, List<String>> sets = new LinkedHashMap<>();
        sets.put("default", ctx.bareJava());
        sets.put("worker's exact command", exact);
        sets.put(TIERED, ctx.bareJava(TIERED));
        sets.put(SERIAL_SET, ctx.bareJava("-XX:+UseSerialGC"));
        sets.put("-XX:-UsePerfData", ctx.bareJava("-XX:-UsePerfData"));
        sets.put(FAST, ctx.bareJava(FAST.split(" ")));
        sets.put(APPCDS_SET, List.of(ctx.java, "-XX:SharedArchiveFile=" + jsa, "-cp", jar.toString(), "Hello"));
        sets.put(NOCDS_SET, ctx.bareJava("-Xshare:off"));
        List<String> names = new ArrayList<>(sets.keySet());
        int rounds = ctx.rounds(16);
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < names.size(); i++) {
                String name = names.get((i + r) % names.size());
                Cpu.Sample c0 = Cpu.now();
                Bare.Batch b = Bare.run(sets.get(name));
                Cpu.Sample c = Cpu.now().minus(c0);
                s.add("jvm." + name + ".wall", Ctx.ms(b.endNanos() - b.startNanos()));
                s.add("jvm." + name + ".cpu", c.childrenMs());
            }
        }
        System.out.println("  one JVM at a time (wall: median [range]; CPU: mean of 10 ms ticks), ratio to default:");
        for (String name : names) {
            List<Double> w = s.get("jvm." + name + ".wall");
            System.out.printf(Locale.ROOT, "    %-62s wall %-22s cpu %5.1f ms  %s%n", name, Stats.ms(w),
                    Stats.mean(s.get("jvm." + name + ".cpu")), Stats.x(Stats.ratios(w, s.get("jvm.default.wall"))));
        }
    }

    /**
     * Session-side costs per worker, measured one by one on a machine left idle: the /proc scan of
     * LocalWorker.members() (once per worker at exit), cgroup create + remove, and a whole launch()
     * of 16 `sleep` workers (idle, so nothing competes with the spawn loop) against starting the
     * same wrapped command 16 times with ProcessBuilder.
     */
    private void probes(Session session, List<String> wrapperPrefix) throws Exception {
        String sessionId = session.id();
        for (int i = 0; i < 5; i++) {
            ProcScanProbe.membersScan(sessionId, "w999999", Long.MAX_VALUE);
        }
        int procs = 0;
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            procs = ProcScanProbe.membersScan(sessionId, "w999999", Long.MAX_VALUE);
            s.add("scan.one", Ctx.ms(System.nanoTime() - t0));
            long t1 = System.nanoTime();
            ProcScanProbe.statScan();
            s.add("scan.stat", Ctx.ms(System.nanoTime() - t1));
        }
        s.add("scan.procs", procs);
        // 32 at once, as when 32 workers exit together.
        for (int rep = 0; rep < 5; rep++) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        ProcScanProbe.membersScan(sessionId, "w999999", Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                t.start();
                threads.add(t);
            }
            Cpu.Sample c0 = Cpu.now();
            long t0 = System.nanoTime();
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            s.add("scan.32wall", Ctx.ms(System.nanoTime() - t0));
            s.add("scan.32cpu", Cpu.now().minus(c0).selfMs());
        }
        try (CgroupProbe cg = new CgroupProbe("bench" + Long.toHexString(System.nanoTime()))) {
            cgroupsName = cg.name();
            for (int i = 0; i < 40; i++) {
                long ns = cg.createAndRemove("w" + i, 1, WorkerSpec.bytes(MEMORY_GB));
                if (i >= 8) {
                    s.add("cgroup", Ctx.ms(ns));
                }
            }
        }
        List<String> sleep = new ProgramPreparer(session.options().workingDirectory(), io.cohort.core.CoreSettings.from(session.options()), session.directory().resolve("clients/python/cohort_run.py")).prepare(Program.shell("sleep 30"), ctx.work.resolve("prep-sleep"))
                .command(WorkerSpec.bytes(0.02));
        List<String> wrappedSleep = new ArrayList<>(wrapperPrefix);
        wrappedSleep.addAll(sleep);
        int n = 16;
        for (int rep = 0; rep < ctx.rounds(5) + 1; rep++) {
            long t0 = System.nanoTime();
            List<Worker> ws = session.launch(LaunchRequest.of(n, 0.01, 0.02, Program.shell("sleep 30")));
            long t1 = System.nanoTime();
            session.await(ws, false, Duration.ofSeconds(30));
            long t2 = System.nanoTime();
            session.stop(ws);
            long t3 = System.nanoTime();
            Ctx.pause(100);
            List<Process> ps = new ArrayList<>();
            long p0 = System.nanoTime();
            try {
                for (int i = 0; i < n; i++) {
                    ps.add(new ProcessBuilder(wrappedSleep).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                            .redirectErrorStream(true).start());
                }
            } finally {
                long p1 = System.nanoTime();
                for (Process p : ps) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor();
                }
                if (rep > 0) {
                    s.add("spawn.session", Ctx.ms(t1 - t0) / n);
                    s.add("spawn.sessionRunning", Ctx.ms(t2 - t0) / n);
                    s.add("spawn.stop", Ctx.ms(t3 - t2));
                    s.add("spawn.pb", Ctx.ms(p1 - p0) / n);
                }
            }
            Ctx.pause(100);
        }
    }

    private void summarize(String baseline, String baselineName) {
        String b = "2 fan-out 32 Java workers";
        List<Double> base = s.get(baseline + ".wall");
        report.ratio(b, "session launch(n=32) -> await done, default settings", s.get("sDefault.wall"), baselineName, base);
        report.ratio(b, "session launch(n=32) -> await done, java.options=" + G1, s.get("sG1.wall"), baselineName, base);
        report.ratio(b, "session launch(n=32) -> await done, java.options=" + FAST, s.get("sFast.wall"), baselineName, base);
        if (!baseline.equals("pbBare")) {
            report.ratio(b, "session launch(n=32) -> await done, default settings", s.get("sDefault.wall"),
                    "32 bare JVMs started at once by ProcessBuilder", s.get("pbBare.wall"));
            report.ratio(b, "  32 bare JVMs, ProcessBuilder", s.get("pbBare.wall"), baselineName, base);
        }
        report.ratio(b, "  step: worker's exact java command (-Xmx192m, session cp), no session", s.get("pbExact.wall"),
                "32 bare JVMs (PB)", s.get("pbBare.wall"));
        report.ratio(b, "  step: + setsid /bin/sh wrapper", s.get("pbWrapped.wall"), "exact command (PB)", s.get("pbExact.wall"));
        report.ratio(b, "  step: session with cgroups off (javac, spawn loop, pumps, reapers, /proc scans)", s.get("sCgroupsOff.wall"),
                "wrapped exact command (PB)", s.get("pbWrapped.wall"));
        report.ratio(b, "  step: session with cgroups on (default)", s.get("sDefault.wall"), "session, cgroups off",
                s.get("sCgroupsOff.wall"));
        report.ratio(b, "  why: 32 bare JVMs with -XX:+UseSerialGC (the cgroup's ergonomic pick)", s.get("pbSerial.wall"),
                "32 bare JVMs (PB, G1)", s.get("pbBare.wall"));
        report.ratio(b, "  variant: session, java.options=" + G1, s.get("sG1.wall"), "session default", s.get("sDefault.wall"));
        report.ratio(b, "  variant: session, java.options=" + TIERED, s.get("sTiered1.wall"), "session default",
                s.get("sDefault.wall"));
        report.ratio(b, "  variant: session, java.options=" + FAST, s.get("sFast.wall"), "session default", s.get("sDefault.wall"));
        report.ratio(b, "  variant: session, java.options=" + FAST, s.get("sFast.wall"), "session, cgroups off (default flags)",
                s.get("sCgroupsOff.wall"));
        String cb = "2 CPU per batch of 32 (workers + launcher)";
        report.ratio(cb, "session, default settings", s.get("sDefault.cpu"), baselineName, s.get(baseline + ".cpu"));
        report.ratio(cb, "session, java.options=" + G1, s.get("sG1.cpu"), baselineName, s.get(baseline + ".cpu"));
        report.ratio(cb, "session, java.options=" + FAST, s.get("sFast.cpu"), baselineName, s.get(baseline + ".cpu"));
        report.ratio(cb, "session, default settings", s.get("sDefault.cpu"), "32 bare JVMs (PB)", s.get("pbBare.cpu"));
        report.ratio(cb, "  session, cgroups off", s.get("sCgroupsOff.cpu"), "32 bare JVMs (PB)", s.get("pbBare.cpu"));
        report.ratio(cb, "  32 bare JVMs with -XX:+UseSerialGC", s.get("pbSerial.cpu"), "32 bare JVMs (PB)", s.get("pbBare.cpu"));
        report.ratio(cb, "  session, java.options=" + G1, s.get("sG1.cpu"), "session, default settings", s.get("sDefault.cpu"));
        report.ratio(b, "  per worker: session launch() of 16 sleep workers / 16 (no CPU-bound workers running)", s.get("spawn.session"),
                "ProcessBuilder.start() of the wrapped command", s.get("spawn.pb"));

        report.note("2: baseline used: %s", baselineName);
        report.note("2: breakdown, median ms from launch() / batch start: wall, launch() returned, last worker started, last main() entered,"
                + " last worker ended; CPU of children / of this JVM:");
        for (String k : List.of("parallel", "pbBare", "pbSerial", "pbExact", "pbWrapped", "sCgroupsOff", "sDefault", "sG1",
                "sTiered1", "sFast")) {
            if (s.has(k + ".wall")) {
                report.note("2:   %-11s wall %5s | launch() %5s | last start %5s | last main %5s | last end %5s | cpu %5s / %4s",
                        k, m(k + ".wall"), m(k + ".call"), m(k + ".lastStarted"), m(k + ".lastMain"), m(k + ".lastFinished"),
                        m(k + ".cpuChildren"), m(k + ".cpuSelf"));
            }
        }
        report.note("2: javac per launch in a warm session: %s ms; shell syntax check per launch: %s ms",
                m("javac"), m("shPrepare"));
        report.note("2: one LocalWorker.members() /proc scan: %s ms over %.0f processes (stat files only: %s ms, so environ reads are the rest);"
                        + " 32 concurrent scans: %s ms wall, %s ms CPU", m("scan.one"), Stats.median(s.get("scan.procs")),
                m("scan.stat"), m("scan.32wall"), m("scan.32cpu"));
        report.note("2: cgroup create+remove per worker (%s): %s ms", cgroupsName, m("cgroup"));
        report.note("2: per worker, no CPU-bound workers running: session launch() %s ms vs ProcessBuilder.start() %s ms of the same wrapped command;"
                + " stop() of 16 sleep workers %s ms", m("spawn.session"), m("spawn.pb"), m("spawn.stop"));
        StringBuilder p = new StringBuilder();
        profile.forEach((k, v) -> {
            if (!k.equals("samples")) {
                p.append(String.format(Locale.ROOT, "; %s %.0f%%", k, v));
            }
        });
        report.note("2: session JVM's own CPU during 8 x launch(n=32) (default settings), JFR execution samples at 1 ms (%.0f samples)%s",
                profile.getOrDefault("samples", 0.0), p);
        report.note("2: one JVM at a time, wall ms / CPU ms: default %s / %.1f; worker's exact command %s / %.1f; -XX:+UseSerialGC %s / %.1f;"
                        + " %s %s / %.1f; %s %s / %.1f; AppCDS (Hello in a jar) %s / %.1f; -Xshare:off %s / %.1f",
                m("jvm.default.wall"), cpu("default"), m("jvm.worker's exact command.wall"), cpu("worker's exact command"),
                m("jvm." + SERIAL_SET + ".wall"), cpu(SERIAL_SET), TIERED, m("jvm." + TIERED + ".wall"), cpu(TIERED),
                FAST, m("jvm." + FAST + ".wall"), cpu(FAST),
                m("jvm." + APPCDS_SET + ".wall"), cpu(APPCDS_SET), m("jvm." + NOCDS_SET + ".wall"), cpu(NOCDS_SET));
    }

    private double cpu(String set) {
        return Stats.mean(s.get("jvm." + set + ".cpu"));
    }

    private String m(String key) {
        return Stats.f(Stats.median(s.get(key)));
    }
}
