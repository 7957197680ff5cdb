package io.cohort.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.MutableClock;
import io.cohort.core.queue.QueueService;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Changes are committed in the order they were queued, whoever commits them. */
class StoreOrderTest {
    @TempDir
    Path dir;

    @Test
    void aPutToAQueueDeclaredOnTheFlyNeverOvertakesTheQueuesOwnRow() throws Exception {
        Store store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        try {
            QueueService queues = new QueueService(new io.cohort.core.queue.SqliteQueueJournal(store), new MutableClock());
            AtomicBoolean running = new AtomicBoolean(true);
            // Changes nobody waits for keep the background committer busy meanwhile.
            // A steady trickle of changes nobody waits for keeps the background committer in play.
            Thread noise = new Thread(() -> {
                while (running.get()) {
                    store.write(tx -> tx.statement("SELECT 1").execute());
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                }
            });
            noise.start();
            AtomicInteger failures = new AtomicInteger();
            try {
                for (int i = 0; i < 500; i++) {
                    try {
                        // The queue's row is written without waiting; the items wait, and must come after it.
                        queues.put("q" + i, List.of("1"), null);
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                    // Paced, so each put meets the committer in a different phase.
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            } finally {
                running.set(false);
                noise.join();
            }
            assertThat(failures.get()).isZero();
        } finally {
            store.close();
        }
    }
}
