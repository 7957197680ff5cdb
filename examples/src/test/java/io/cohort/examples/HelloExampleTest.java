package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.OutputLine;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hello world on real workers: every greeting reaches the session's console, then the summary. */
class HelloExampleTest {
    @TempDir
    Path home;

    @Test
    void everyWorkerGreetsWithItsIdAndAddressAndTheSummaryCountsAndPlacesThem() {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        try (Session session = Session.open(SessionOptions.builder().home(home).cpuOvercommit(4)
                .console(new PrintStream(console, true, StandardCharsets.UTF_8)).build())) {
            HelloExample.Summary s = HelloExample.run(session, 3, new PrintStream(summary, true, StandardCharsets.UTF_8));

            assertThat(s.ok()).isTrue();
            assertThat(s.succeeded()).isEqualTo(3);
            assertThat(s.failed()).isZero();
            assertThat(s.wall()).isPositive();
            List<String> shown = console.toString(StandardCharsets.UTF_8).lines().toList();
            List<String> report = summary.toString(StandardCharsets.UTF_8).lines().toList();
            assertThat(report).anyMatch(l -> l.matches("hello example: 3 workers, 3 succeeded, 0 failed, wall time \\d+\\.\\d\\d s .*"));
            assertThat(s.workers()).extracting(Worker::id).containsExactly("w1", "w2", "w3");
            for (Worker w : s.workers()) {
                String greeting = "Hello from worker " + w.id() + " at " + w.ipAddress();
                assertThat(w.status()).isEqualTo(Status.SUCCEEDED);
                assertThat(w.ipAddress()).startsWith("127.").isNotEqualTo(session.masterAddress());
                assertThat(session.output(w)).extracting(OutputLine::text).containsExactly(greeting);
                assertThat(shown).contains("[" + w.id() + "] " + greeting);
                assertThat(report).anyMatch(l -> l.matches("\\s+" + w.id() + "\\s+succeeded\\s+" + w.ipAddress().replace(".", "\\.")
                        + "\\s+\\d+\\.\\d\\d\\s+0"));
            }
            assertThat(s.workers()).extracting(Worker::ipAddress).doesNotHaveDuplicates();
        }
    }
}
