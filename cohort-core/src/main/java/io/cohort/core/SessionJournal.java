package io.cohort.core;

import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The session's launches and workers in its database: all the SQL of the {@code launches} and
 * {@code workers} tables, so that a resumed session knows what ran and what was interrupted.
 */
final class SessionJournal {
    private final Store store;

    /**
     * A worker as stored.
     *
     * @param launch the number of the launch it came from, from 1
     */
    record StoredWorker(String id, int launch, Status status, Integer exitCode, String reason, String ip, Long pid,
                        Instant createdAt, Instant startedAt, Instant finishedAt) {
    }

    SessionJournal(Store store) {
        this.store = store;
    }

    /** Stores a launch (its request as JSON) and its workers, all scheduling. */
    void launched(int launch, String requestJson, List<String> workerIds, long createdAtMillis) {
        store.write(tx -> {
            PreparedStatement ps = tx.statement("INSERT INTO launches(id, request) VALUES (?, ?)");
            ps.setInt(1, launch);
            ps.setString(2, requestJson);
            ps.executeUpdate();
            PreparedStatement w = tx.statement("INSERT INTO workers(id, launch, status, created_at) VALUES (?, ?, 'SCHEDULING', ?)");
            for (String workerId : workerIds) {
                w.setString(1, workerId);
                w.setInt(2, launch);
                w.setLong(3, createdAtMillis);
                w.executeUpdate();
            }
        });
    }

    /** Keeps a worker's row current. */
    void changed(Worker w) {
        store.write(tx -> {
            PreparedStatement ps = tx.statement("UPDATE workers SET status = ?, exit_code = ?, reason = ?, ip = ?, pid = ?,"
                    + " started_at = ?, finished_at = ? WHERE id = ?");
            ps.setString(1, w.status().name());
            Store.setLong(ps, 2, w.exitCode() == null ? null : w.exitCode().longValue());
            ps.setString(3, w.reason());
            ps.setString(4, w.ipAddress());
            Store.setLong(ps, 5, w.pid());
            Store.setLong(ps, 6, w.startedAt() == null ? null : w.startedAt().toEpochMilli());
            Store.setLong(ps, 7, w.finishedAt() == null ? null : w.finishedAt().toEpochMilli());
            ps.setString(8, w.id());
            ps.executeUpdate();
        });
    }

    /** Every launch's request, as JSON, in launch order. */
    List<String> launches() {
        return store.read(c -> {
            List<String> out = new ArrayList<>();
            try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT request FROM launches ORDER BY id")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    /** Every worker, in id order (w1, w2, ..., w10). */
    List<StoredWorker> workers() {
        return store.read(c -> {
            List<StoredWorker> out = new ArrayList<>();
            try (var st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT id, launch, status, exit_code, reason, ip, pid, created_at, started_at, finished_at FROM workers"
                            + " ORDER BY CAST(substr(id, 2) AS INTEGER)")) {
                while (rs.next()) {
                    long exit = rs.getLong(4);
                    Integer exitCode = rs.wasNull() ? null : (int) exit;
                    long pid = rs.getLong(7);
                    Long pidOrNull = rs.wasNull() ? null : pid;
                    out.add(new StoredWorker(rs.getString(1), rs.getInt(2), Status.valueOf(rs.getString(3)), exitCode,
                            rs.getString(5), rs.getString(6), pidOrNull, instant(rs, 8), instant(rs, 9), instant(rs, 10)));
                }
            }
            return out;
        });
    }

    /** Marks every worker that had not ended as stopped, with {@code reason}; returns once stored. */
    void interrupted(String reason) {
        store.writeAndWait(tx -> {
            PreparedStatement ps = tx.statement("UPDATE workers SET status = 'STOPPED', reason = ? WHERE status NOT IN"
                    + " ('SUCCEEDED', 'FAILED', 'STOPPED')");
            ps.setString(1, reason);
            ps.executeUpdate();
        });
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }
}
