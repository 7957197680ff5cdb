package io.cohort.bench;

import io.cohort.AwaitResult;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 1: launch to first output line of one worker (Java, shell), against a bare process
 * started with ProcessBuilder (precompiled Hello / sh -c 'echo hello'), in three situations:
 * steady state (later launches of a warm session), the first launch of a new session in a warm
 * JVM, and the first launch of a fresh session JVM (javac cold). Each round runs every subject and
 * its baseline back to back, in an order that rotates from round to round.
 */
final class LaunchLatency {
    private final Ctx ctx;
    private final Report report;
    private final Series s = new Series();
    private String cgroupsName = "?";

    LaunchLatency(Ctx ctx, Report report) {
        this.ctx = ctx;
        this.report = report;
    }

    void run() throws Exception {
        System.out.println("== 1. launch to first output line, 1 worker");
        LineClock clock = new LineClock();
        LineClock g1Clock = new LineClock();
        LineClock noCgClock = new LineClock();
        try (Session session = ctx.open(clock, 16, Map.of());
             Session g1 = ctx.open(g1Clock, 16, Map.of("java.options", FanOut.G1));
             Session noCg = ctx.open(noCgClock, 16, Map.of("local.cgroups", "off"))) {
            // Warm up javac, the JIT and the spawn path: these launches are not measured.
            for (int i = 0; i < 3; i++) {
                sessionLaunch(session, clock, Program.code(Ctx.HELLO), "warm");
                sessionLaunch(g1, g1Clock, Program.code(Ctx.HELLO), "warm");
                sessionLaunch(noCg, noCgClock, Program.code(Ctx.HELLO), "warm");
                sessionLaunch(session, clock, Program.shell("echo hello"), "warm");
                Bare.firstLine(ctx.bareJava());
                Bare.firstLine(List.of("sh", "-c", "echo hello"));
            }
            List<Runnable> steps = List.of(
                    step(() -> bare(ctx.bareJava(), "bareJava")),
                    step(() -> sessionLaunch(session, clock, Program.code(Ctx.HELLO), "sessJava")),
                    step(() -> sessionLaunch(g1, g1Clock, Program.code(Ctx.HELLO), "sessJavaG1")),
                    step(() -> sessionLaunch(noCg, noCgClock, Program.code(Ctx.HELLO), "sessJavaNoCg")),
                    step(() -> bare(List.of("sh", "-c", "echo hello"), "bareSh")),
                    step(() -> sessionLaunch(session, clock, Program.shell("echo hello"), "sessSh")),
                    step(() -> newSession(Program.code(Ctx.HELLO), "newSessJava")),
                    step(() -> newSession(Program.shell("echo hello"), "newSessSh")));
            int rounds = ctx.rounds(25);
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < steps.size(); i++) {
                    steps.get((i + r) % steps.size()).run();
                    Ctx.pause(30);
                }
            }
        }
        joinProbe();
        int cold = ctx.rounds(6);
        for (int r = 0; r < cold; r++) {
            List<Runnable> steps = List.of(
                    step(() -> bare(ctx.bareJava(), "coldBareJava")),
                    step(() -> coldJvm("java", "coldJava")),
                    step(() -> bare(List.of("sh", "-c", "echo hello"), "coldBareSh")),
                    step(() -> coldJvm("shell", "coldSh")));
            for (int i = 0; i < steps.size(); i++) {
                steps.get((i + r) % steps.size()).run();
                Ctx.pause(30);
            }
        }
        summarize();
    }

    private void summarize() {
        String b = "1 launch->first line";
        report.ratio(b, "Java worker, steady state (later launch, same session)", s.get("sessJava.line"),
                "bare java Hello (PB)", s.get("bareJava.line"));
        report.ratio(b, "  same, java.options=" + FanOut.G1, s.get("sessJavaG1.line"), "bare java Hello (PB)", s.get("bareJava.line"));
        report.ratio(b, "  same, cgroups off", s.get("sessJavaNoCg.line"), "bare java Hello (PB)", s.get("bareJava.line"));
        report.ratio(b, "Java worker, first launch of a new session (JVM warm)", s.get("newSessJava.line"),
                "bare java Hello (PB)", s.get("bareJava.line"));
        report.ratio(b, "Java worker, first launch in a fresh session JVM (javac cold)", s.get("coldJava.line"),
                "bare java Hello (PB)", s.get("coldBareJava.line"));
        report.ratio("1 launch->first line", "  why: wrapper (setsid sh, join, exec true) joining the worker's memory+cpu cgroups",
                s.get("wrap.join"), "same wrapper, no cgroups", s.get("wrap.none"));
        report.note("1: cgroup join (%s): the wrapper runs `true` in %s ms when it joins a new worker's cgroups, %s ms without;"
                        + " single launches, 100 ms apart", cgroupsName, Stats.f(Stats.median(s.get("wrap.join"))),
                Stats.f(Stats.median(s.get("wrap.none"))));
        report.ratio(b, "shell worker, steady state (later launch, same session)", s.get("sessSh.line"),
                "bare sh -c 'echo hello' (PB)", s.get("bareSh.line"));
        report.ratio(b, "shell worker, first launch of a new session (JVM warm)", s.get("newSessSh.line"),
                "bare sh -c 'echo hello' (PB)", s.get("bareSh.line"));
        report.ratio(b, "shell worker, first launch in a fresh session JVM", s.get("coldSh.line"),
                "bare sh -c 'echo hello' (PB)", s.get("coldBareSh.line"));
        report.ratio(b, "  Session.open() in a fresh JVM (not in the figures above)", s.get("coldJava.open"),
                "bare java Hello (PB)", s.get("coldBareJava.line"));
        System.out.println("  breakdown (median ms; t=0 when launch() is called / the bare process is started):");
        for (String k : List.of("bareJava", "sessJava", "sessJavaG1", "sessJavaNoCg", "newSessJava", "coldBareJava", "coldJava")) {
            System.out.printf("    %-13s launch() returned %6s | main() entered %6s | line on console %6s%s%n", k,
                    Stats.f(Stats.median(s.get(k + ".call"))), Stats.f(Stats.median(s.get(k + ".main"))),
                    Stats.f(Stats.median(s.get(k + ".line"))),
                    s.has(k + ".open") ? " | Session.open " + Stats.f(Stats.median(s.get(k + ".open"))) : "");
        }
        for (String k : List.of("bareSh", "sessSh", "newSessSh", "coldSh")) {
            System.out.printf("    %-13s launch() returned %6s | line on console %6s%s%n", k,
                    Stats.f(Stats.median(s.get(k + ".call"))), Stats.f(Stats.median(s.get(k + ".line"))),
                    s.has(k + ".open") ? " | Session.open " + Stats.f(Stats.median(s.get(k + ".open"))) : "");
        }
        report.note("1: steady-state Java launch: launch() returns after %s ms (javac of the launch + spawn), main() runs at %s ms,"
                        + " the line reaches the console at %s ms; bare java: main() at %s ms, line read at %s ms",
                Stats.f(Stats.median(s.get("sessJava.call"))), Stats.f(Stats.median(s.get("sessJava.main"))),
                Stats.f(Stats.median(s.get("sessJava.line"))), Stats.f(Stats.median(s.get("bareJava.main"))),
                Stats.f(Stats.median(s.get("bareJava.line"))));
        report.note("1: steady state, main() entered at (ms after launch()): default %s, java.options=%s %s, cgroups off %s;"
                        + " launch() returned at %s / %s / %s", Stats.f(Stats.median(s.get("sessJava.main"))), FanOut.G1,
                Stats.f(Stats.median(s.get("sessJavaG1.main"))), Stats.f(Stats.median(s.get("sessJavaNoCg.main"))),
                Stats.f(Stats.median(s.get("sessJava.call"))), Stats.f(Stats.median(s.get("sessJavaG1.call"))),
                Stats.f(Stats.median(s.get("sessJavaNoCg.call"))));
        report.note("1: shell: launch() returns after %s ms (steady; includes the sh -n syntax check), the line reaches the console at %s ms;"
                        + " bare sh: line read at %s ms", Stats.f(Stats.median(s.get("sessSh.call"))),
                Stats.f(Stats.median(s.get("sessSh.line"))), Stats.f(Stats.median(s.get("bareSh.line"))));
        report.note("1: cold Java launch (fresh session JVM): launch() returns after %s ms, line at %s ms; Session.open() took %s ms before that",
                Stats.f(Stats.median(s.get("coldJava.call"))), Stats.f(Stats.median(s.get("coldJava.line"))),
                Stats.f(Stats.median(s.get("coldJava.open"))));
    }

    /**
     * What joining the worker's cgroups costs its start: the session's wrapper (setsid /bin/sh, join,
     * exec) running `true`, without cgroups and joining a fresh worker cgroup pair (memory + cpu), from
     * this JVM, 100 ms apart as single launches are.
     */
    private void joinProbe() throws Exception {
        try (io.cohort.local.CgroupProbe cg = new io.cohort.local.CgroupProbe("bench" + Long.toHexString(System.nanoTime()))) {
            int rounds = ctx.rounds(15);
            for (int r = 0; r < rounds + 2; r++) {
                for (String mode : List.of("none", "join")) {
                    List<String> files = new ArrayList<>();
                    try (AutoCloseable slot = cg.create("j" + r + mode + files.hashCode() + System.nanoTime(), 1,
                            io.cohort.core.backend.WorkerSpec.bytes(0.25), files)) {
                        if (mode.equals("none")) {
                            files.clear();
                        }
                        List<String> cmd = new ArrayList<>(List.of("setsid", "/bin/sh", "-c", FanOut.JOIN_AND_EXEC, "cohort-worker",
                                Integer.toString(files.size())));
                        cmd.addAll(files);
                        cmd.add("true");
                        Ctx.pause(100);
                        long t0 = System.nanoTime();
                        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                                .redirectErrorStream(true).start();
                        p.getInputStream().readAllBytes();
                        if (p.waitFor() != 0) {
                            throw new IllegalStateException("wrapper failed: " + cmd);
                        }
                        if (r >= 2) {
                            s.add("wrap." + mode, Ctx.ms(System.nanoTime() - t0));
                        }
                    }
                }
            }
            cgroupsName = cg.name();
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static Runnable step(Step step) {
        return () -> {
            try {
                step.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private void bare(List<String> cmd, String key) throws Exception {
        Bare.FirstLine f = Bare.firstLine(cmd);
        s.add(key + ".line", Ctx.ms(f.lineNanos() - f.startNanos()));
        long main = Ctx.mainNanos(f.line());
        if (main > 0) {
            s.add(key + ".main", Ctx.ms(main - f.startNanos()));
        }
        if (f.line() == null || !f.line().startsWith("hello")) {
            throw new IllegalStateException(key + " printed " + f.line());
        }
    }

    /** One launch of n=1 in a session; times relative to the launch() call. */
    private void sessionLaunch(Session session, LineClock clock, Program program, String key) throws Exception {
        long t0 = System.nanoTime();
        List<Worker> ws = session.launch(LaunchRequest.of(1, 1, 0.25, program));
        long t1 = System.nanoTime();
        LineClock.Line line = clock.await(ws.get(0).id(), 60, TimeUnit.SECONDS);
        if (line == null) {
            throw new IllegalStateException(key + ": no output from " + session.get(ws.get(0)));
        }
        AwaitResult done = session.await(ws, true, Duration.ofSeconds(60));
        Worker w = session.get(ws.get(0));
        if (w.status() != Status.SUCCEEDED) {
            throw new IllegalStateException(key + ": " + w + " " + done);
        }
        if (!key.equals("warm")) {
            s.add(key + ".call", Ctx.ms(t1 - t0));
            s.add(key + ".line", Ctx.ms(line.nanos() - t0));
            long main = Ctx.mainNanos(line.text());
            if (main > 0) {
                s.add(key + ".main", Ctx.ms(main - t0));
            }
        }
    }

    /** A new session in this (warm) JVM: open, one launch, close. */
    private void newSession(Program program, String key) throws Exception {
        LineClock clock = new LineClock();
        long o0 = System.nanoTime();
        try (Session session = ctx.open(clock, 16, Map.of())) {
            s.add(key + ".open", Ctx.ms(System.nanoTime() - o0));
            sessionLaunch(session, clock, program, key);
        }
    }

    /** A fresh JVM that opens a session and launches once: its figures come back on its stdout. */
    private void coldJvm(String kind, String key) throws Exception {
        List<String> cmd = List.of(ctx.java, "-cp", ctx.classPath, ColdLaunch.class.getName(), kind,
                ctx.sessions.toString(), ctx.work.toString());
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).start();
        Map<String, Double> got = new HashMap<>();
        List<String> all = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                all.add(l);
                if (l.startsWith("result ")) {
                    for (String kv : l.substring(7).trim().split(" ")) {
                        String[] p2 = kv.split("=");
                        got.put(p2[0], Double.parseDouble(p2[1]));
                    }
                }
            }
        } finally {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (p.exitValue() != 0 || !got.containsKey("line")) {
            throw new IllegalStateException(key + " failed: " + String.join("\n", all));
        }
        got.forEach((k, v) -> s.add(key + "." + k, v));
    }
}
