package io.cohort.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.output.ConsolePrinter;
import io.cohort.core.store.Durability;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A background task that fails is reported through System.Logger ("io.cohort") and keeps running. */
class BackgroundFailuresTest {
    @TempDir
    Path dir;

    @Test
    void aPeriodicTaskOfTheSessionThatThrowsIsReportedAndRunsAgain() {
        SessionHub hub = new SessionHub(dir, "127.0.0.1", new AgentRegistry(new MutableClock()),
                java.util.concurrent.CompletableFuture.completedFuture(io.cohort.core.store.Store.open(dir.resolve("session.db"), Durability.COMMIT)), 4096, 4096,
                new MutableClock());
        try (LogCapture log = new LogCapture()) {
            AtomicInteger runs = new AtomicInteger();
            hub.every(Duration.ofMillis(10), "the injected task", () -> {
                if (runs.incrementAndGet() == 1) {
                    throw new IllegalStateException("injected failure of the first run");
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> runs.get() >= 3);
            assertThat(log.reports()).anySatisfy(r -> assertThat(r).contains("the injected task failed")
                    .contains("injected failure of the first run"));
        } finally {
            hub.close();
        }
    }

    @Test
    void aTaskInterruptedByItsExecutorsShutdownIsNotReportedAsAFailure() throws Exception {
        try (LogCapture log = new LogCapture()) {
            Thread t = new Thread(io.cohort.core.backend.Background.reporting("the interrupted task", () -> {
                Thread.currentThread().interrupt(); // as shutdownNow() does to a poll in flight
                throw new io.cohort.CohortException("interrupted while running squeue");
            }));
            t.start();
            t.join();
            Thread failing = new Thread(io.cohort.core.backend.Background.reporting("the failing task", () -> {
                throw new IllegalStateException("a real failure");
            }));
            failing.start();
            failing.join();
            assertThat(log.reports()).noneSatisfy(r -> assertThat(r).contains("the interrupted task"));
            assertThat(log.reports()).anySatisfy(r -> assertThat(r).contains("the failing task failed").contains("a real failure"));
        }
    }

    @Test
    void theLeaseTimerSurvivesAFailedRunAndStillExpiresLeases() throws Exception {
        MutableClock time = new MutableClock();
        AtomicInteger timerReads = new AtomicInteger();
        // The lease timer's first look at the clock fails; every other read is the test's clock.
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return time.getZone();
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                if (Thread.currentThread().getName().equals("cohort-leases") && timerReads.incrementAndGet() == 1) {
                    throw new IllegalStateException("injected failure of the lease timer's clock");
                }
                return time.instant();
            }
        };
        try (LogCapture log = new LogCapture()) {
            SessionHub hub = new SessionHub(dir, "127.0.0.1", new AgentRegistry(time), java.util.concurrent.CompletableFuture.completedFuture(
                    io.cohort.core.store.Store.open(dir.resolve("session.db"), Durability.COMMIT)), 4096, 4096, clock);
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> log.reports().stream()
                        .anyMatch(r -> r.contains("the lease timer") && r.contains("injected failure of the lease timer's clock")));
                hub.queues.put("q", java.util.List.of("1"), null);
                assertThat(hub.queues.take("q", "w1", 1, Duration.ZERO, java.util.List.of()).items()).hasSize(1);
                time.advance(Duration.ofMinutes(5));
                // Still running: the lease runs out and the item is ready again.
                await().atMost(Duration.ofSeconds(20)).until(() -> hub.queues.progress("q").ready() == 1);
            } finally {
                hub.close();
            }
        }
    }

    @Test
    void aConsoleThatThrowsIsReportedAndTheLinesAfterItStillPrint() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicInteger lines = new AtomicInteger();
        PrintStream flaky = new PrintStream(bytes, true, StandardCharsets.UTF_8) {
            @Override
            public void println(String x) {
                if (lines.incrementAndGet() == 1) {
                    throw new IllegalStateException("injected: the terminal went away");
                }
                super.println(x);
            }
        };
        try (LogCapture log = new LogCapture()) {
            ConsolePrinter console = new ConsolePrinter(flaky, "s1");
            console.print("first");
            console.print("second");
            console.close();
            assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("second" + System.lineSeparator());
            assertThat(log.reports()).anySatisfy(r -> assertThat(r).contains("console", "injected: the terminal went away"));
        }
    }
}
