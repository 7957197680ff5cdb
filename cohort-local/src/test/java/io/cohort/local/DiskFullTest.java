package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reliability: a full disk costs a worker's log lines, never the worker or its console. The session
 * lives on a small tmpfs of its own (mounting one needs root, which CI has); the test fills it while
 * a worker prints, then frees it.
 */
class DiskFullTest {
    final Fixtures.Console console = new Fixtures.Console();
    final List<LogRecord> warnings = new ArrayList<>();
    final Handler recorder = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                synchronized (warnings) {
                    warnings.add(r);
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    /** Held here: JUL keeps loggers weakly, and a new one would have no recorder. */
    final Logger cohortLogger = Logger.getLogger("io.cohort");
    Path home;
    boolean mounted;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        home = Files.createTempDirectory("cohort-diskfull-");
        int rc = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", home.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        if (rc != 0) {
            // CI runs as root and must prove it; a developer's machine without root may skip.
            assertThat(System.getenv("CI")).as("mounting a tmpfs failed (exit %s): run as root", rc).isNotEqualTo("true");
            assumeTrue(false, "mounting a tmpfs needs root");
        }
        mounted = true;
        cohortLogger.addHandler(recorder);
    }

    @AfterEach
    void unmount() throws Exception {
        cohortLogger.removeHandler(recorder);
        if (mounted) {
            new ProcessBuilder("umount", "-l", home.toString()).start().waitFor();
        }
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void aFullDiskKeepsTheWorkerAndItsConsoleAndTheLogResumesWithANoteOfTheGap() throws Exception {
        Path go = home.resolve("go");
        Path more = home.resolve("more");
        for (Path fifo : List.of(go, more)) {
            assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        }
        try (Session session = Fixtures.open(home, console)) {
            String x = "x".repeat(90);
            // Prints 300 lines when told to (the first fifo opens), then 2 more when told again.
            Worker w = session.launch(LaunchRequest.of(1, 0.2, 0.1, Program.shell("cat " + go + " >/dev/null;"
                    + " for i in $(seq 1 300); do echo line-$i-" + x + "; done; cat " + more + " >/dev/null;"
                    + " echo after-1; echo after-2"))).get(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> session.get(w.id()).status() == Status.RUNNING);

            Path filler = home.resolve("filler");
            fill(filler);
            Files.writeString(go, "go\n");
            await().atMost(Duration.ofSeconds(60)).until(() -> console.text().contains("line-300-"));
            // The log is written after the console is handed the line: wait for its warning too.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                synchronized (warnings) {
                    return !warnings.isEmpty();
                }
            });
            synchronized (warnings) {
                assertThat(warnings).as("the session says once that the log cannot be written, naming it and why")
                        .singleElement().satisfies(r -> assertThat(r.getMessage())
                                .contains(session.outputFile(w.id()).toString()).contains("disk is full"));
            }

            Files.delete(filler);
            Files.writeString(more, "more\n");
            Worker done = session.await(List.of(w.id()), true, Duration.ofSeconds(60)).workers().get(0);

            assertThat(done.status()).as("reason: %s", done.reason()).isEqualTo(Status.SUCCEEDED);
            assertThat(done.exitCode()).isZero();
            for (int i = 1; i <= 300; i++) {
                assertThat(console.text()).contains("line-" + i + "-" + x);
            }
            assertThat(console.text()).contains("after-1").contains("after-2");
            List<OutputLine> log = session.output(w.id());
            assertThat(log).extracting(OutputLine::text).hasSize(3);
            assertThat(log.get(0).stream()).isEqualTo(OutputLine.Stream.STDERR);
            assertThat(log.get(0).text()).startsWith("cohort: 300 lines of this worker's output are missing here")
                    .contains("disk is full");
            assertThat(log.get(1).text()).isEqualTo("after-1");
            assertThat(log.get(2).text()).isEqualTo("after-2");
        }
    }

    /** Writes until the disk refuses: nothing is left. */
    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left");
        }
    }
}
