package io.cohort.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Kernel;
import io.cohort.Status;
import io.cohort.Worker;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Of several updates racing to end a worker, exactly one is told it ended it. */
class WorkerRegistryTest {
    @Test
    void exactlyOneOfManyRacingEndsEndsTheWorker() throws Exception {
        WorkerRegistry registry = new WorkerRegistry(new EventBus(), new MutableClock());
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 50; round++) {
                String id = "w" + round;
                registry.add(new Worker(id, "s1", Status.RUNNING, Kernel.SHELL, "true", 1, 1, List.of(), null, null, 1L,
                        Instant.EPOCH, Instant.EPOCH, null, null, null, List.of(), "launch-1", "worker", round, null));
                CyclicBarrier start = new CyclicBarrier(8);
                List<Future<Boolean>> ends = new java.util.ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    Status status = t % 2 == 0 ? Status.FAILED : Status.STOPPED;
                    ends.add(threads.submit(() -> {
                        start.await();
                        return registry.change(id, w -> WorkerChanges.ended(w, status, 1, "raced", Instant.EPOCH)).ended();
                    }));
                }
                int ended = 0;
                for (Future<Boolean> f : ends) {
                    ended += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(ended).as("round %d", round).isEqualTo(1);
                assertThat(registry.get(id).status().isFinal()).isTrue();
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
