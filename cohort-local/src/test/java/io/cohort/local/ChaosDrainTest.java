package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.QueueOptions;
import io.cohort.QueueProgress;
import io.cohort.Result;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 10,000 items drained by 4 workers while one of them is killed with SIGKILL every second and replaced. */
class ChaosDrainTest {
    static final int ITEMS = 10_000;
    static final LaunchRequest WORKER = LaunchRequest.of(1, 0.5, 0.3, Program.code("""
            for (var item : io.cohort.worker.Cohort.queue("chaos")) {
                long n = (Long) item.value();
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000); // stands for the work on an item
                io.cohort.worker.Cohort.results().put("item-" + n, Map.of("n", n, "square", n * n));
            }"""));

    @TempDir
    Path home;

    @Test
    void everyItemHasExactlyOneResultDespiteSigkills() throws Exception {
        Fixtures.Console console = new Fixtures.Console();
        try (Session session = Fixtures.open(home, console)) {
            // Generous attempts: an item may be in the hands of several killed workers in a row.
            WorkQueue q = session.queue("chaos", QueueOptions.DEFAULTS.withMaxAttempts(50));
            List<Long> items = new ArrayList<>();
            for (long i = 0; i < ITEMS; i++) {
                items.add(i);
            }
            q.putAll(items);
            q.close();
            session.launch(new LaunchRequest(4, WORKER.cpu(), WORKER.memoryGb(), 0, WORKER.program(), Map.of()));

            AtomicInteger kills = new AtomicInteger();
            Random random = new Random(7);
            ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
            killer.scheduleAtFixedRate(() -> {
                List<Worker> running = session.list().stream().filter(w -> w.status() == Status.RUNNING).toList();
                if (running.isEmpty() || q.progress().drained()) {
                    return;
                }
                Worker victim = running.get(random.nextInt(running.size()));
                ProcessHandle.of(victim.pid()).ifPresent(ProcessHandle::destroyForcibly);
                kills.incrementAndGet();
                session.launch(WORKER);
            }, 1, 1, TimeUnit.SECONDS);
            QueueProgress end;
            try {
                end = q.awaitDrained(Duration.ofMinutes(5));
            } finally {
                killer.shutdownNow();
                killer.awaitTermination(10, TimeUnit.SECONDS);
            }

            assertThat(end.drained()).isTrue();
            assertThat(end.done()).isEqualTo(ITEMS);
            assertThat(end.failed()).isZero();
            assertThat(kills.get()).as("workers killed during the drain").isGreaterThanOrEqualTo(5);
            assertThat(session.list()).filteredOn(w -> w.exitCode() != null && w.exitCode() == 137).hasSizeGreaterThanOrEqualTo(5);

            List<Result> results = session.results().withPrefix("item-");
            assertThat(results).hasSize(ITEMS);
            Set<Long> seen = new HashSet<>();
            for (Result r : results) {
                Map<?, ?> v = (Map<?, ?>) r.value();
                long n = ((Number) v.get("n")).longValue();
                assertThat(r.key()).isEqualTo("item-" + n);
                assertThat(((Number) v.get("square")).longValue()).isEqualTo(n * n);
                assertThat(r.itemId()).isEqualTo(n + 1);
                assertThat(seen.add(n)).isTrue();
            }
            assertThat(seen).hasSize(ITEMS);
        }
    }
}
