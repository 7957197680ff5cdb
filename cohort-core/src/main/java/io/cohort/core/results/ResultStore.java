package io.cohort.core.results;

import io.cohort.Result;
import io.cohort.Results;
import io.cohort.core.Json;
import io.cohort.core.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Results in the session database, one row per key: storing a key again replaces its row. */
public final class ResultStore implements Results {
    private final Store store;
    private final Clock clock;

    public ResultStore(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Stores JSON text under a key, tagged with the worker and item; returns once stored. */
    public void put(String key, String json, String workerId, Long itemId) {
        checkKey(key);
        long now = clock.millis();
        store.writeAndWait(tx -> {
            PreparedStatement ps = tx.statement("INSERT INTO results(key, json, worker, item_id, stored_at) VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT(key) DO UPDATE SET json = excluded.json, worker = excluded.worker,"
                    + " item_id = excluded.item_id, stored_at = excluded.stored_at");
            ps.setString(1, key);
            ps.setString(2, json);
            ps.setString(3, workerId);
            Store.setLong(ps, 4, itemId);
            ps.setLong(5, now);
            ps.executeUpdate();
        });
    }

    @Override
    public void put(String key, Object value) {
        put(key, Json.write(value), null, null);
    }

    @Override
    public Optional<Result> get(String key) {
        List<Result> r = query("WHERE key = ?", key);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
    }

    /** The stored JSON text of a key, without parsing it. */
    public Optional<String> json(String key) {
        return get(key).map(Result::json);
    }

    @Override
    public List<Result> list() {
        return query("", null);
    }

    @Override
    public List<Result> withPrefix(String prefix) {
        // substr comparison, not LIKE: keys may hold % and _.
        return query("WHERE substr(key, 1, length(?1)) = ?1", prefix);
    }

    @Override
    public long count() {
        return store.read(c -> {
            try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM results")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    private List<Result> query(String where, String arg) {
        return store.read(c -> {
            List<Result> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT key, json, worker, item_id, stored_at FROM results " + where + " ORDER BY key")) {
                if (arg != null) {
                    ps.setString(1, arg);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
            }
            return out;
        });
    }

    private static Result row(ResultSet rs) throws SQLException {
        long item = rs.getLong(4);
        Long itemId = rs.wasNull() ? null : item;
        String json = rs.getString(2);
        return new Result(rs.getString(1), json, Json.read(json), rs.getString(3), itemId, Instant.ofEpochMilli(rs.getLong(5)));
    }

    static void checkKey(String key) {
        if (key == null || key.isEmpty() || key.length() > 1024) {
            throw new IllegalArgumentException("a result key must be 1 to 1024 characters, got "
                    + (key == null ? "null" : key.length() + " characters"));
        }
    }
}
