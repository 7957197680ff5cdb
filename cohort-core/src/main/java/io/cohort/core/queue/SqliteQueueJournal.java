package io.cohort.core.queue;

import io.cohort.DeadLetter;
import io.cohort.QueueOptions;
import io.cohort.core.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The queues' journal in the session's database: all the SQL of the {@code queues} and {@code items} tables. */
public final class SqliteQueueJournal implements QueueJournal {
    private final Store store;

    public SqliteQueueJournal(Store store) {
        this.store = store;
    }

    @Override
    public List<StoredQueue> queues() {
        return store.read(c -> {
            List<StoredQueue> out = new ArrayList<>();
            try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name, closed, max_attempts, lease_ms FROM queues")) {
                while (rs.next()) {
                    out.add(new StoredQueue(rs.getString(1), new QueueOptions(rs.getInt(3), Duration.ofMillis(rs.getLong(4))),
                            rs.getInt(2) != 0));
                }
            }
            return out;
        });
    }

    @Override
    public List<StoredItem> items() {
        return store.read(c -> {
            List<StoredItem> out = new ArrayList<>();
            try (var s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, queue, json, dedup_key, state, attempts FROM items ORDER BY id")) {
                while (rs.next()) {
                    out.add(new StoredItem(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getInt(6)));
                }
            }
            return out;
        });
    }

    @Override
    public CompletableFuture<Void> declare(String name, QueueOptions options) {
        return store.write(tx -> {
            PreparedStatement ps = tx.statement("INSERT OR IGNORE INTO queues(name, max_attempts, lease_ms) VALUES (?, ?, ?)");
            ps.setString(1, name);
            ps.setInt(2, options.maxAttempts());
            ps.setLong(3, options.leaseTime().toMillis());
            ps.executeUpdate();
        });
    }

    @Override
    public void addAndWait(String queue, List<NewItem> items) {
        store.writeAndWait(tx -> {
            PreparedStatement ps = tx.statement("INSERT INTO items(id, queue, json, dedup_key, state) VALUES (?, ?, ?, ?, 'ready')");
            for (NewItem item : items) {
                ps.setLong(1, item.id());
                ps.setString(2, queue);
                ps.setString(3, item.json());
                ps.setString(4, item.key());
                ps.executeUpdate();
            }
        });
    }

    @Override
    public void closeAndWait(String queue) {
        store.writeAndWait(tx -> {
            PreparedStatement ps = tx.statement("UPDATE queues SET closed = 1 WHERE name = ?");
            ps.setString(1, queue);
            ps.executeUpdate();
        });
    }

    @Override
    public CompletableFuture<Void> done(List<Long> ids, String worker, long atMillis) {
        return store.write(tx -> {
            PreparedStatement ps = tx.statement("UPDATE items SET state = 'done', worker = ?, done_at = ? WHERE id = ?");
            for (long id : ids) {
                ps.setString(1, worker);
                ps.setLong(2, atMillis);
                ps.setLong(3, id);
                ps.executeUpdate();
            }
        });
    }

    @Override
    public CompletableFuture<Void> released(long id, boolean dead, int attempts, String error) {
        return store.write(tx -> {
            PreparedStatement ps = tx.statement("UPDATE items SET state = ?, attempts = ?, error = ? WHERE id = ?");
            ps.setString(1, dead ? "dead" : "ready");
            ps.setInt(2, attempts);
            ps.setString(3, error);
            ps.setLong(4, id);
            ps.executeUpdate();
        });
    }

    @Override
    public List<Long> unknown(String queue, List<Long> ids) {
        return store.read(c -> {
            List<Long> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM items WHERE queue = ? AND id = ?")) {
                for (long id : ids) {
                    ps.setString(1, queue);
                    ps.setLong(2, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            out.add(id);
                        }
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<StoredItem> page(String queue, long afterId, int limit) {
        return store.read(c -> {
            List<StoredItem> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, queue, json, dedup_key, state, attempts FROM items"
                    + " WHERE queue = ? AND id > ? ORDER BY id LIMIT ?")) {
                ps.setString(1, queue);
                ps.setLong(2, afterId);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new StoredItem(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                rs.getInt(6)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<DeadLetter> deadLetters(String queue) {
        return store.read(c -> {
            List<DeadLetter> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, json, attempts, error FROM items WHERE queue = ? AND state = 'dead' ORDER BY id")) {
                ps.setString(1, queue);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new DeadLetter(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getString(4)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void await(CompletableFuture<Void> change) {
        store.await(change);
    }
}
