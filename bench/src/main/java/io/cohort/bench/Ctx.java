package io.cohort.bench;

import io.cohort.Session;
import io.cohort.SessionOptions;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/** What every benchmark shares: the JDK, the class path, a scratch folder and the precompiled Hello class. */
final class Ctx {
    /**
     * The hello-world program, the same source for bare JVMs and for workers (package-private so
     * the worker's compilation unit may live in Main.java). It prints when main was entered, on
     * the machine-wide monotonic clock (System.nanoTime is CLOCK_MONOTONIC on Linux), without
     * string concatenation (which would add an invokedynamic bootstrap to a 30 ms JVM start).
     */
    static final String HELLO = "class Hello { public static void main(String[] args) {"
            + " System.out.print(\"hello \"); System.out.println(System.nanoTime()); } }";
    static final Duration STOP_GRACE = Duration.ofSeconds(2);

    final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    final String classPath = System.getProperty("java.class.path");
    final Path work;
    final Path helloDir;
    final Path sessions;
    final String parallel;
    final double roundsScale;
    final List<LineClock> clocks = new java.util.concurrent.CopyOnWriteArrayList<>();

    Ctx(double roundsScale) throws IOException {
        this.roundsScale = roundsScale;
        this.work = Files.createTempDirectory("cohort-bench-");
        this.sessions = Files.createDirectories(work.resolve("sessions"));
        this.helloDir = Files.createDirectories(work.resolve("hello"));
        Path src = Files.writeString(Files.createDirectories(work.resolve("hello-src")).resolve("Hello.java"), HELLO + "\n");
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", helloDir.toString(), src.toString());
        if (rc != 0) {
            throw new IllegalStateException("could not compile " + src);
        }
        this.parallel = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "parallel")).filter(Files::isExecutable).map(Path::toString).findFirst().orElse(null);
    }

    int rounds(int n) {
        return Math.max(2, (int) Math.round(n * roundsScale));
    }

    /** A session for benchmarks: its own console clock, files under the scratch folder. */
    Session open(LineClock clock, double cpuOvercommit, Map<String, String> settings) {
        clocks.add(clock);
        SessionOptions.Builder b = SessionOptions.builder().home(sessions).workingDirectory(work).console(clock)
                .cpuOvercommit(cpuOvercommit).stopGrace(STOP_GRACE);
        settings.forEach(b::setting);
        return Session.open(b.build());
    }

    List<String> bareJava(String... flags) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(java);
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", helloDir.toString(), "Hello"));
        return cmd;
    }

    /** Worker output lines that were not the program's own, over all sessions of this run. */
    List<String> strayLines() {
        return clocks.stream().flatMap(c -> c.others().stream()).toList();
    }

    void cleanup() {
        try (Stream<Path> all = Files.walk(work)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Parses "hello 123456789" into the nanoTime at which main ran, or -1. */
    static long mainNanos(String line) {
        if (line != null && line.startsWith("hello ")) {
            try {
                return Long.parseLong(line.substring(6).trim());
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
