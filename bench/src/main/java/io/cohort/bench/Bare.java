package io.cohort.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Baselines: processes started directly with ProcessBuilder, no session. */
final class Bare {
    /** Start to first stdout line, and the line. */
    record FirstLine(long startNanos, long lineNanos, String line) {
    }

    /** Start of the batch, when each process entered main (from its output), and when all had ended. */
    record Batch(long startNanos, List<Long> mainNanos, long endNanos, int helloLines) {
    }

    private Bare() {
    }

    static FirstLine firstLine(List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            // The program's first line; a JVM warning printed before it (hsperfdata, say) is skipped.
            String line = r.readLine();
            while (line != null && !line.startsWith("hello")) {
                line = r.readLine();
            }
            long t1 = System.nanoTime();
            while (r.readLine() != null) {
                // drain
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("did not end: " + command);
            }
            return new FirstLine(t0, t1, line);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Runs a command to its end, reading its whole output; returns the batch timing. */
    static Batch run(List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            List<Long> mains = new ArrayList<>();
            int hellos = read(p, mains);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("did not end: " + command);
            }
            return new Batch(t0, mains, System.nanoTime(), hellos);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Starts n copies of a command at once from this JVM, then waits for all. */
    static Batch fanOut(List<String> command, int n) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<Process> ps = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ps.add(new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start());
            }
            List<Long> mains = new ArrayList<>();
            int hellos = 0;
            for (Process p : ps) {
                hellos += read(p, mains);
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("did not end: " + command);
                }
            }
            return new Batch(t0, mains, System.nanoTime(), hellos);
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }

    private static int read(Process p, List<Long> mains) throws IOException {
        int hellos = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                long m = Ctx.mainNanos(line);
                if (m > 0) {
                    mains.add(m);
                    hellos++;
                }
            }
        }
        return hellos;
    }
}
