package io.cohort.bench;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Benchmark 11 (issue 13): output lines forwarded. One shell worker prints {@code seq 1 N}; the
 * session prefixes each line on its console (a file here, as a terminal's scrollback would be
 * written) and keeps the worker's log on disk. The baseline, in the same run, is the shell doing
 * the console's part alone: {@code seq 1 N | sed 's/^/[w1] /' > file}. After every round both the
 * console file and the worker's log are read back: every line there, once, in order, none spliced.
 *
 * <p>Run: {@code bench/run.sh 11 [--lines=N]} (default 3,000,000 lines; 5 rounds each, alternating).
 */
public final class OutputBench {
    private OutputBench() {
    }

    public static void main(String[] args) throws Exception {
        int lines = 3_000_000;
        int rounds = 5;
        for (String a : args) {
            if (a.startsWith("--lines=")) {
                lines = Integer.parseInt(a.substring(8));
            } else if (a.startsWith("--rounds=")) {
                rounds = Math.max(2, (int) Math.round(5 * Double.parseDouble(a.substring(9))));
            }
        }
        Path work = Files.createTempDirectory("cohort-bench-output-");
        Path console = work.resolve("console.txt");
        List<Double> cohort = new ArrayList<>();
        List<Double> sed = new ArrayList<>();
        System.out.printf(Locale.ROOT, "== 11. output: one shell worker printing seq 1 %,d; console to a file and the"
                + " worker's log, vs seq | sed 's/^/[w1] /' > file (%d rounds each, alternating)%n", lines, rounds);
        try {
            for (int r = 0; r < rounds; r++) {
                for (int which : r % 2 == 0 ? new int[] {0, 1} : new int[] {1, 0}) {
                    Files.deleteIfExists(console);
                    if (which == 0) {
                        cohort.add(session(work, console, lines, r));
                    } else {
                        sed.add(sed(console, lines));
                    }
                }
            }
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        double c = Stats.median(cohort);
        double s = Stats.median(sed);
        System.out.printf(Locale.ROOT, "  cohort: %.2f M lines/s (median of %s s)%n", lines / c / 1e6, fmt(cohort));
        System.out.printf(Locale.ROOT, "  sed:    %.2f M lines/s (median of %s s)%n", lines / s / 1e6, fmt(sed));
        System.out.printf(Locale.ROOT, "  ratio cohort / sed (lines per second): x%.2f (target >= x0.5)%n", s / c);
        System.out.println("  every round: console and log read back, " + String.format(Locale.ROOT, "%,d", lines)
                + " lines each, in order, none lost or spliced");
    }

    private static String fmt(List<Double> seconds) {
        return seconds.stream().map(d -> String.format(Locale.ROOT, "%.2f", d)).toList().toString();
    }

    /** Seconds from launch to the worker's end with its last line on the console and in its log. */
    private static double session(Path work, Path console, int lines, int round) throws IOException {
        Path home = Files.createDirectories(work.resolve("sessions-" + round));
        double seconds;
        Path log;
        try (PrintStream out = new PrintStream(new FileOutputStream(console.toFile()), false, StandardCharsets.UTF_8);
             Session s = Session.open(SessionOptions.builder().home(home).workingDirectory(work).console(out)
                     .stopGrace(Duration.ofSeconds(1)).build())) {
            long t0 = System.nanoTime();
            Worker w = s.launch(LaunchRequest.of(1, 1, 0.25, Program.shell("seq 1 " + lines))).get(0);
            Worker done = s.await(List.of(w), true, Duration.ofMinutes(5)).workers().stream().findFirst()
                    .orElseThrow(() -> new IllegalStateException("the worker did not succeed"));
            if (done.status() != Status.SUCCEEDED) {
                throw new IllegalStateException("the worker ended " + done.status() + ": " + done.reason());
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            log = home.resolve(s.id()).resolve("workers").resolve(w.id()).resolve("output.log");
            if (!Files.exists(log)) {
                try (Stream<Path> found = Files.walk(home)) {
                    log = found.filter(p -> p.endsWith(Path.of("workers", w.id(), "output.log"))).findFirst()
                            .orElseThrow(() -> new IllegalStateException("no output.log for " + w.id() + " under " + home));
                }
            }
            check(console, "[" + w.id() + "] ", lines, true);
        }
        check(log, "out | ", lines, false);
        return seconds;
    }

    private static double sed(Path console, int lines) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", "seq 1 " + lines + " | sed 's/^/[w1] /' > '" + console + "'")
                .inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("seq | sed failed");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        check(console, "[w1] ", lines, false);
        return seconds;
    }

    /** Every number 1..n once, in order, each on a line of its own after the prefix. */
    private static void check(Path file, String prefix, int n, boolean othersAllowed) throws IOException {
        long next = 1;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith(prefix) || line.startsWith(prefix + "--")) {
                    if (othersAllowed) {
                        continue; // the session's own lines: "[w1] -- running ...", "[w1] -- succeeded ..."
                    }
                    throw new IllegalStateException(file + ": unexpected line '" + line + "'");
                }
                String expected = Long.toString(next);
                if (!line.regionMatches(prefix.length(), expected, 0, expected.length())
                        || line.length() != prefix.length() + expected.length()) {
                    throw new IllegalStateException(file + ": expected '" + prefix + next + "', found '" + line + "'");
                }
                next++;
            }
        }
        if (next != n + 1) {
            throw new IllegalStateException(file + ": " + (next - 1) + " lines of " + n);
        }
    }
}
