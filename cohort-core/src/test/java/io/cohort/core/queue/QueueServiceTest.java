package io.cohort.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.CohortException;
import io.cohort.QueueOptions;
import io.cohort.core.MutableClock;
import io.cohort.core.store.Durability;
import io.cohort.core.store.Store;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueServiceTest {
    @TempDir
    Path dir;
    MutableClock clock = new MutableClock();
    Store store;
    QueueService queues;

    @BeforeEach
    void open() {
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        queues = new QueueService(new SqliteQueueJournal(store), clock);
        queues.declare("q", new QueueOptions(2, Duration.ofSeconds(10)));
    }

    @AfterEach
    void close() {
        store.close();
    }


    private QueueService.Taken take(String worker, int max) throws InterruptedException {
        return queues.take("q", worker, max, Duration.ZERO, List.of());
    }

    private List<String> values(QueueService.Taken t) {
        return t.items().stream().map(QueueService.Leased::json).toList();
    }

    @Test
    void aLeasedItemIsInvisibleToOthersUntilAcknowledged() throws Exception {
        queues.put("q", List.of("1", "2", "3"), null);

        QueueService.Taken a = take("w1", 2);
        QueueService.Taken b = take("w2", 5);

        assertThat(values(a)).containsExactly("1", "2");
        assertThat(values(b)).containsExactly("3");
        assertThat(a.items()).extracting(QueueService.Leased::attempt).containsOnly(1);
        assertThat(queues.progress("q").inFlight()).isEqualTo(3);

        queues.take("q", "w1", 1, Duration.ZERO, List.of(a.items().get(0).id(), a.items().get(1).id()));

        assertThat(queues.progress("q").done()).isEqualTo(2);
        assertThat(queues.progress("q").inFlight()).isEqualTo(1);
    }

    @Test
    void anAcknowledgementIsStoredBeforeItIsConfirmed() throws Exception {
        queues.put("q", List.of("\"x\""), null);
        long id = take("w1", 1).items().get(0).id();

        queues.awaitStored(queues.ack("q", "w1", List.of(id)));
        io.cohort.core.store.StoreCrash.abandon(store);

        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("session.db"));
             ResultSet rs = c.createStatement().executeQuery("SELECT state, worker FROM items WHERE id = " + id)) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("done");
            assertThat(rs.getString(2)).isEqualTo("w1");
        }
    }

    @Test
    void aTakeOnAnEmptyOpenQueueWaitsAndWakesWhenAnItemArrives() throws Exception {
        CompletableFuture<QueueService.Taken> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return queues.take("q", "w1", 1, Duration.ofSeconds(30), List.of());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(waiting).isNotDone();

        queues.put("q", List.of("\"late\""), null);

        assertThat(values(waiting.get(10, TimeUnit.SECONDS))).containsExactly("\"late\"");
    }

    @Test
    void aClosedQueueIsDoneOnlyWhenNothingIsReadyOrInFlight() throws Exception {
        queues.put("q", List.of("1"), null);
        queues.close("q");
        QueueService.Taken first = take("w1", 1);

        CompletableFuture<QueueService.Taken> second = CompletableFuture.supplyAsync(() -> {
            try {
                return queues.take("q", "w2", 1, Duration.ofSeconds(30), List.of());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(second).isNotDone();

        // w1 dies: its item goes back, and the waiting worker gets it rather than "done".
        queues.releaseWorker("w1", true, "worker w1 failed");
        QueueService.Taken retried = second.get(10, TimeUnit.SECONDS);
        assertThat(values(retried)).containsExactly("1");
        assertThat(retried.items().get(0).attempt()).isEqualTo(2);
        assertThat(retried.done()).isFalse();
        assertThat(first.items().get(0).id()).isEqualTo(retried.items().get(0).id());

        QueueService.Taken end = queues.take("q", "w2", 1, Duration.ofSeconds(30), List.of(retried.items().get(0).id()));
        assertThat(end.done()).isTrue();
        assertThat(queues.progress("q").drained()).isTrue();
        assertThatThrownBy(() -> queues.put("q", List.of("2"), null)).isInstanceOf(CohortException.class)
                .hasMessageContaining("queue 'q' is closed");
    }

    @Test
    void anItemThatFailsTooOftenIsDeadLetteredWithItsError() throws Exception {
        queues.put("q", List.of("\"bad\""), null);
        long id = take("w1", 1).items().get(0).id();
        queues.fail("q", "w1", id, "boom 1");
        assertThat(take("w1", 1).items().get(0).attempt()).isEqualTo(2);
        queues.fail("q", "w1", id, "boom 2");

        assertThat(take("w1", 1).items()).isEmpty();
        assertThat(queues.progress("q").failed()).isEqualTo(1);
        assertThat(queues.deadLetters("q")).singleElement().satisfies(d -> {
            assertThat(d.itemId()).isEqualTo(id);
            assertThat(d.attempts()).isEqualTo(2);
            assertThat(d.error()).isEqualTo("boom 2");
            assertThat(d.json()).isEqualTo("\"bad\"");
        });
    }

    @Test
    void aStoppedWorkersItemsGoBackFirstWithoutUsingAnAttempt() throws Exception {
        queues.put("q", List.of("1", "2"), null);
        take("w1", 1);

        queues.releaseWorker("w1", false, "stopped");

        QueueService.Taken again = take("w2", 1);
        assertThat(values(again)).containsExactly("1");
        assertThat(again.items().get(0).attempt()).isEqualTo(1);
    }

    @Test
    void aLeaseRunsOutWithoutHeartbeatsAndIsExtendedByThem() throws Exception {
        queues.put("q", List.of("1", "2"), null);
        take("w1", 1);
        take("w2", 1);

        clock.advance(Duration.ofSeconds(8));
        queues.heartbeat("w2");
        clock.advance(Duration.ofSeconds(3));
        queues.expireLeases();

        assertThat(queues.progress("q").inFlight()).isEqualTo(1);
        QueueService.Taken back = take("w3", 5);
        assertThat(values(back)).containsExactly("1");
        assertThat(back.items().get(0).attempt()).isEqualTo(2);
    }

    @Test
    void putUniqueKeysAreRememberedForever() {
        assertThat(queues.put("q", List.of("\"a\"", "\"b\"", "\"a again\""), java.util.Arrays.asList("a", "b", "a"))).isEqualTo(2);
        assertThat(queues.put("q", List.of("\"b again\"", "\"c\""), List.of("b", "c"))).isEqualTo(1);
        assertThat(queues.progress("q").added()).isEqualTo(3);
    }

    @Test
    void aReopenedStoreBringsBackQueuesWithInFlightItemsReady() throws Exception {
        queues.put("q", List.of("1", "2", "3"), List.of("k1", "k2", "k3"));
        QueueService.Taken t = take("w1", 2);
        queues.ack("q", "w1", List.of(t.items().get(0).id())).join();
        reopen();

        assertThat(queues.progress("q")).satisfies(p -> {
            assertThat(p.added()).isEqualTo(3);
            assertThat(p.done()).isEqualTo(1);
            assertThat(p.ready()).isEqualTo(2);
            assertThat(p.closed()).isFalse();
        });
        assertThat(values(take("w9", 5))).containsExactly("2", "3");
        assertThat(queues.put("q", List.of("1"), List.of("k1"))).isZero();

        queues.close("q");
        reopen();
        assertThat(queues.progress("q").closed()).isTrue();
        assertThat(queues.progress("q").ready()).isEqualTo(2);
    }

    private void reopen() {
        store.close();
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        queues = new QueueService(new SqliteQueueJournal(store), clock);
    }

    @Test
    void queueNamesAreChecked() {
        assertThatThrownBy(() -> queues.declare("bad name!", QueueOptions.DEFAULTS))
                .hasMessageContaining("queue names are 1 to 100 letters");
    }
}
