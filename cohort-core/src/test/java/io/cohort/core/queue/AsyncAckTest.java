package io.cohort.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.QueueOptions;
import io.cohort.core.MutableClock;
import io.cohort.core.store.Durability;
import io.cohort.core.store.Store;
import io.cohort.core.store.StoreCrash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boundary that {@code "ack_wait": false} introduces, on the real SQLite store with its commits
 * held back by a gate: a take's answer may come before the acknowledgement it carried is stored, so
 * that acknowledgement is not confirmed to the worker, and a crash in between makes the item ready
 * again (done twice: at-least-once); the answer that ends the worker's loop ("done") waits for every
 * acknowledgement the worker sent that way, so after it nothing the worker finished is redone.
 */
class AsyncAckTest {
    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock();
    Store store;
    GatedJournal journal;
    QueueService queues;

    /** The session's journal, except that acknowledgements reach the store only once the gate opens. */
    static final class GatedJournal implements QueueJournal {
        final SqliteQueueJournal store;
        final CompletableFuture<Void> gate = new CompletableFuture<>();

        GatedJournal(SqliteQueueJournal store) {
            this.store = store;
        }

        @Override
        public CompletableFuture<Void> done(List<Long> ids, String worker, long atMillis) {
            return gate.thenCompose(v -> store.done(ids, worker, atMillis));
        }

        @Override
        public List<StoredQueue> queues() {
            return store.queues();
        }

        @Override
        public List<StoredItem> items() {
            return store.items();
        }

        @Override
        public CompletableFuture<Void> declare(String name, QueueOptions options) {
            return store.declare(name, options);
        }

        @Override
        public void addAndWait(String queue, List<NewItem> items) {
            store.addAndWait(queue, items);
        }

        @Override
        public void closeAndWait(String queue) {
            store.closeAndWait(queue);
        }

        @Override
        public CompletableFuture<Void> released(long id, boolean dead, int attempts, String error) {
            return store.released(id, dead, attempts, error);
        }

        @Override
        public List<Long> unknown(String queue, List<Long> ids) {
            return store.unknown(queue, ids);
        }

        @Override
        public List<io.cohort.DeadLetter> deadLetters(String queue) {
            return store.deadLetters(queue);
        }

        @Override
        public void await(CompletableFuture<Void> change) {
            store.await(change);
        }
    }

    @BeforeEach
    void open() {
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        journal = new GatedJournal(new SqliteQueueJournal(store));
        queues = new QueueService(journal, clock);
        queues.declare("q", QueueOptions.DEFAULTS);
    }

    @AfterEach
    void close() {
        if (journal != null) {
            journal.gate.complete(null);
        }
        store.close();
    }

    /** The session dies the way kill -9 would leave it, and a new one opens the same database. */
    private QueueService crashAndReopen() {
        StoreCrash.abandon(store);
        journal = null; // what it still holds back died with the session
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        return new QueueService(new SqliteQueueJournal(store), clock);
    }

    private long takeOne(String worker) throws InterruptedException {
        QueueService.Taken t = queues.take("q", worker, 1, Duration.ZERO, List.of());
        assertThat(t.items()).hasSize(1);
        return t.items().get(0).id();
    }

    @Test
    void aTakeAnsweredBeforeItsAcknowledgementIsStoredConfirmsNothingAndACrashRedoesTheItem() throws Exception {
        queues.put("q", List.of("\"first\"", "\"second\""), null);
        long first = takeOne("w1");

        CompletableFuture<QueueService.Taken> next = queues.takeLater("q", "w1", 1, Duration.ZERO, List.of(first), false);
        assertThat(next).as("answered while the acknowledgement is not stored").isCompleted();
        assertThat(next.get().items()).extracting(QueueService.Leased::json).containsExactly("\"second\"");
        assertThat(queues.confirmed("w1")).as("the worker has not been told it is stored").isNotDone();

        QueueService reopened = crashAndReopen();
        assertThat(reopened.progress("q").done()).isZero();
        assertThat(reopened.take("q", "w2", 5, Duration.ZERO, List.of()).items())
                .as("the acknowledged but unconfirmed item is done again, with the one in flight")
                .extracting(QueueService.Leased::id).containsExactly(first, next.get().items().get(0).id());
    }

    @Test
    void theAnswerThatEndsTheLoopWaitsForEveryAcknowledgementAndAfterItNothingIsRedone() throws Exception {
        queues.put("q", List.of("\"a\"", "\"b\""), null);
        queues.close("q");
        long a = takeOne("w1");
        CompletableFuture<QueueService.Taken> second = queues.takeLater("q", "w1", 1, Duration.ZERO, List.of(a), false);
        long b = second.get().items().get(0).id();

        CompletableFuture<QueueService.Taken> last = queues.takeLater("q", "w1", 1, Duration.ZERO, List.of(b), false);
        assertThat(queues.progress("q").drained()).isTrue();
        assertThat(last).as("done is not said before both acknowledgements are stored").isNotDone();

        journal.gate.complete(null);
        assertThat(last.get(30, TimeUnit.SECONDS).done()).isTrue();

        QueueService reopened = crashAndReopen();
        assertThat(reopened.progress("q")).satisfies(p -> {
            assertThat(p.done()).isEqualTo(2);
            assertThat(p.ready()).isZero();
            assertThat(p.drained()).isTrue();
        });
    }

    @Test
    void aTakeThatWaitsForItsAcknowledgementIsAnsweredOnlyOnceItIsStored() throws Exception {
        queues.put("q", List.of("\"a\"", "\"b\""), null);
        long a = takeOne("w1");

        CompletableFuture<QueueService.Taken> next = queues.takeLater("q", "w1", 1, Duration.ZERO, List.of(a), true);
        assertThat(next).as("the default: the answer confirms the acknowledgement").isNotDone();
        journal.gate.complete(null);
        assertThat(next.get(30, TimeUnit.SECONDS).items()).hasSize(1);

        QueueService reopened = crashAndReopen();
        assertThat(reopened.progress("q").done()).isEqualTo(1);
    }
}
