package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.ElasticPool;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.PoolOptions;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Elastic pools (docs/groups.md) on real workers: a pool grows while items wait, never past its max,
 * shrinks to its min once the queue idles by retiring workers that hold no lease (they end by
 * themselves, succeeded, with no item redone), and grows again when items come back.
 */
@ExtendWith(LocalSessions.class)
class ElasticPoolTest {
    Fixtures.Console console = new Fixtures.Console();
    Session session;

    @Test
    void aPoolGrowsWithTheQueueShrinksWhenItIdlesAndNeverStopsAWorkerHoldingAnItem() {
        WorkQueue q = session.queue("uneven");
        for (int i = 0; i < 24; i++) {
            q.put(Map.of("i", i, "ms", 50 + (i % 4) * 100));
        }
        LaunchRequest worker = LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.PYTHON3, """
                import time
                import cohort_client as cohort
                for item in cohort.queue("uneven"):
                    time.sleep(item.value["ms"] / 1000)
                    cohort.results.put("r%d" % item.value["i"], {"attempt": item.attempt})
                """));
        try (ElasticPool pool = session.pool("uneven", worker, new PoolOptions(0, 4, Duration.ofMillis(500)))) {
            await().atMost(Duration.ofSeconds(90)).until(() -> q.progress().done() == 24);
            assertThat(pool.peak()).as("it grew with the waiting items, up to its max: %s", pool).isBetween(2, 4);

            // Nothing ready for the grace: every worker is retired, and ends by itself.
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.live() == 0);
            assertThat(pool.workers()).extracting(Worker::status).containsOnly(Status.SUCCEEDED);
            assertThat(q.progress().failed()).isZero();
            assertThat(session.results().list()).hasSize(24).allSatisfy(r -> assertThat(r.json()).isEqualTo("{\"attempt\":1}"));

            // Items again: it grows again.
            int before = pool.workers().size();
            q.put(Map.of("i", 100, "ms", 10));
            await().atMost(Duration.ofSeconds(60)).until(() -> q.progress().done() == 25);
            assertThat(pool.workers().size()).isGreaterThan(before);
        }
    }
}
