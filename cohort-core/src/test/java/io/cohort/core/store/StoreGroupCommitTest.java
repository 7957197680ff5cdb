package io.cohort.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cohort.CohortException;
import io.cohort.core.LogCapture;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A group commit is all or nothing per piece of work, and a failure nobody waits for is reported. */
class StoreGroupCommitTest {
    @TempDir
    Path dir;
    Store store;

    @BeforeEach
    void open() {
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static Store.Work insert(int id) {
        return tx -> {
            var ps = tx.statement("INSERT INTO launches(id, request) VALUES (?, ?)");
            ps.setInt(1, id);
            ps.setString(2, "launch " + id);
            ps.executeUpdate();
        };
    }

    /** Queues the changes while holding the commit lock (a read), so one commit takes them all as a group. */
    private List<CompletableFuture<Void>> inOneGroup(List<Store.Work> works) {
        return store.read(c -> {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            works.forEach(w -> futures.add(store.write(w)));
            return futures;
        });
    }

    private List<Integer> launchIds() {
        return store.read(c -> {
            List<Integer> ids = new ArrayList<>();
            try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM launches ORDER BY id")) {
                while (rs.next()) {
                    ids.add(rs.getInt(1));
                }
            }
            return ids;
        });
    }

    @Test
    void aPieceThatFailsHalfwayLeavesNoneOfItsRowsAndTheOthersCommit() {
        Store.Work halfDone = tx -> {
            insert(2).run(tx);
            throw new SQLException("injected failure after the first statement");
        };
        List<CompletableFuture<Void>> futures = inOneGroup(List.of(insert(1), halfDone, insert(3), insert(4)));

        store.await(futures.get(0));
        assertThatThrownBy(() -> store.await(futures.get(1))).isInstanceOf(CohortException.class)
                .hasMessageContaining("injected failure after the first statement");
        store.await(futures.get(2));
        store.await(futures.get(3));
        assertThat(launchIds()).containsExactly(1, 3, 4);
    }

    @Test
    void aFailedChangeNobodyWaitsForIsReportedAndTheCommitterCarriesOn() {
        try (LogCapture log = new LogCapture()) {
            CompletableFuture<Void> failed = store.write(tx -> {
                throw new SQLException("injected: the disk said no");
            });
            await().atMost(Duration.ofSeconds(20)).until(failed::isDone);
            await().atMost(Duration.ofSeconds(20)).until(() -> log.reports().stream()
                    .anyMatch(r -> r.contains("nobody waited for") && r.contains("injected: the disk said no")));

            // The background committer still commits what nobody waits for.
            CompletableFuture<Void> later = store.write(insert(7));
            await().atMost(Duration.ofSeconds(20)).until(later::isDone);
            assertThat(later).isCompleted();
            assertThat(launchIds()).containsExactly(7);
        }
    }

    @Test
    void aFailedChangeSomeoneWaitsForIsTheirsToReport() {
        try (LogCapture log = new LogCapture()) {
            assertThatThrownBy(() -> store.writeAndWait(tx -> {
                throw new SQLException("injected: refused");
            })).hasMessageContaining("injected: refused");
            store.writeAndWait(insert(1));
            assertThat(log.reports()).noneMatch(r -> r.contains("injected: refused"));
        }
    }
}
