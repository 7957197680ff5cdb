package io.cohort.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.DeadLetter;
import io.cohort.QueueOptions;
import io.cohort.core.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The queues' lease logic with a journal in memory: no database, so every rule of leases, retries
 * and dead letters is seen by itself, together with what the service tells its journal.
 */
class QueueLeasesTest {
    final MutableClock clock = new MutableClock();
    final MemoryJournal journal = new MemoryJournal();
    final QueueService queues = new QueueService(journal, clock);

    @Test
    void waitingTakesAreServedInOrderAndADeadWorkersWaitingTakeIsNeverHandedAnItem() throws Exception {
        queues.declare("q", QueueOptions.DEFAULTS);
        CompletableFuture<QueueService.Taken> dead = queues.takeLater("q", "w1", 1, Duration.ofMinutes(1), List.of());
        CompletableFuture<QueueService.Taken> second = queues.takeLater("q", "w2", 1, Duration.ofMinutes(1), List.of());
        CompletableFuture<QueueService.Taken> third = queues.takeLater("q", "w3", 1, Duration.ofMinutes(1), List.of());
        assertThat(queues.waitingTakes("q")).isEqualTo(3);

        // w1 died while its take waited: the take is withdrawn, empty.
        queues.releaseWorker("w1", true, "killed");
        assertThat(dead).isDone();
        assertThat(dead.get().items()).isEmpty();
        queues.put("q", List.of("{\"n\":1}", "{\"n\":2}"), null);

        assertThat(second.get().items()).extracting(QueueService.Leased::json).containsExactly("{\"n\":1}");
        assertThat(third.get().items()).extracting(QueueService.Leased::json).containsExactly("{\"n\":2}");
        assertThat(queues.holders("q")).containsExactlyInAnyOrder("w2", "w3");
    }

    @Test
    void aRetiredWorkerHearsDoneButOneHoldingALeaseIsNotRetired() throws Exception {
        queues.declare("q", QueueOptions.DEFAULTS);
        queues.put("q", List.of("{\"n\":1}"), null);
        QueueService.Taken held = queues.take("q", "w1", 1, Duration.ZERO, List.of());
        CompletableFuture<QueueService.Taken> waiting = queues.takeLater("q", "w2", 1, Duration.ofMinutes(1), List.of());

        assertThat(queues.retire("q", "w1")).as("w1 holds a lease").isFalse();
        assertThat(queues.retire("q", "w2")).isTrue();
        assertThat(waiting.get().done()).as("its waiting take answers done").isTrue();
        assertThat(queues.take("q", "w2", 1, Duration.ZERO, List.of()).done()).isTrue();
        queues.awaitStored(queues.ack("q", "w1", List.of(held.items().get(0).id())));
        assertThat(queues.retire("q", "w1")).isTrue();
    }

    @Test
    void anExpiredLeaseGoesBackAndTheLastAttemptGoesToTheDeadLetters() throws Exception {
        queues.declare("q", new QueueOptions(2, Duration.ofSeconds(10)));
        queues.put("q", List.of("{\"n\":1}"), null);

        QueueService.Taken first = queues.take("q", "w1", 1, Duration.ZERO, List.of());
        assertThat(first.items()).extracting(QueueService.Leased::attempt).containsExactly(1);
        clock.advance(Duration.ofSeconds(11));
        queues.expireLeases();
        assertThat(journal.items.get(1L).state()).isEqualTo("ready");

        QueueService.Taken second = queues.take("q", "w2", 1, Duration.ZERO, List.of());
        assertThat(second.items()).extracting(QueueService.Leased::attempt).containsExactly(2);
        queues.fail("q", "w2", 1, "boom");

        assertThat(journal.items.get(1L).state()).isEqualTo("dead");
        assertThat(queues.deadLetters("q")).extracting(DeadLetter::error).containsExactly("boom");
        assertThat(queues.progress("q").failed()).isEqualTo(1);
    }

    @Test
    void aStoppedWorkersItemGoesBackFirstWithoutUsingAnAttempt() throws Exception {
        queues.put("q", List.of("1", "2"), null);
        queues.take("q", "w1", 1, Duration.ZERO, List.of());

        queues.releaseWorker("w1", false, "stopped");

        QueueService.Taken again = queues.take("q", "w2", 1, Duration.ZERO, List.of());
        assertThat(again.items()).extracting(QueueService.Leased::id, QueueService.Leased::attempt).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1L, 1));
    }

    @Test
    void whatWasInFlightWhenTheSessionEndedIsReadyAgainAfterARestart() throws Exception {
        queues.put("q", List.of("1", "2", "3"), List.of("a", "b", "c"));
        QueueService.Taken t = queues.take("q", "w1", 2, Duration.ZERO, List.of());
        queues.awaitStored(queues.ack("q", "w1", List.of(t.items().get(0).id())));

        QueueService restarted = new QueueService(journal, clock);

        assertThat(restarted.progress("q").done()).isEqualTo(1);
        assertThat(restarted.progress("q").ready()).isEqualTo(2);
        assertThat(restarted.put("q", List.of("again"), List.of("a"))).isZero();
        assertThat(restarted.take("q", "w2", 5, Duration.ZERO, List.of()).items()).extracting(QueueService.Leased::id)
                .containsExactly(2L, 3L);
    }

    /** A journal in memory: what a database would hold. */
    static final class MemoryJournal implements QueueJournal {
        final Map<String, StoredQueue> queues = new TreeMap<>();
        final Map<Long, StoredItem> items = new TreeMap<>();
        final Map<Long, String> errors = new TreeMap<>();

        @Override
        public synchronized List<StoredQueue> queues() {
            return new ArrayList<>(queues.values());
        }

        @Override
        public synchronized List<StoredItem> items() {
            return new ArrayList<>(items.values());
        }

        @Override
        public synchronized CompletableFuture<Void> declare(String name, QueueOptions options) {
            queues.putIfAbsent(name, new StoredQueue(name, options, false));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized void addAndWait(String queue, List<NewItem> added) {
            added.forEach(i -> items.put(i.id(), new StoredItem(i.id(), queue, i.json(), i.key(), "ready", 0)));
        }

        @Override
        public synchronized void closeAndWait(String queue) {
            StoredQueue q = queues.get(queue);
            queues.put(queue, new StoredQueue(queue, q.options(), true));
        }

        @Override
        public synchronized CompletableFuture<Void> done(List<Long> ids, String worker, long atMillis) {
            ids.forEach(id -> set(id, "done", items.get(id).attempts()));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized CompletableFuture<Void> released(long id, boolean dead, int attempts, String error) {
            set(id, dead ? "dead" : "ready", attempts);
            errors.put(id, error);
            return CompletableFuture.completedFuture(null);
        }

        private void set(long id, String state, int attempts) {
            StoredItem i = items.get(id);
            items.put(id, new StoredItem(id, i.queue(), i.json(), i.key(), state, attempts));
        }

        @Override
        public synchronized List<Long> unknown(String queue, List<Long> ids) {
            return ids.stream().filter(id -> !items.containsKey(id) || !items.get(id).queue().equals(queue)).toList();
        }

        @Override
        public synchronized List<DeadLetter> deadLetters(String queue) {
            return items.values().stream().filter(i -> i.queue().equals(queue) && i.state().equals("dead"))
                    .map(i -> new DeadLetter(i.id(), i.json(), i.attempts(), errors.get(i.id()))).toList();
        }

        @Override
        public void await(CompletableFuture<Void> change) {
            change.join();
        }
    }
}
