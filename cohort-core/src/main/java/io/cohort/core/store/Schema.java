package io.cohort.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** The session database's tables. Everything a resumed session needs lives here. */
final class Schema {
    private Schema() {
    }

    static void create(Connection c) throws SQLException {
        // One transaction, so one sync of the log rather than one per table.
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY, closed INTEGER NOT NULL DEFAULT 0,"
                    + " max_attempts INTEGER NOT NULL, lease_ms INTEGER NOT NULL)");
            // state: ready, leased is never stored (a lease lives in memory; a crash makes it ready), done, dead.
            s.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, queue TEXT NOT NULL REFERENCES queues(name),"
                    + " json TEXT NOT NULL, dedup_key TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                    + " worker TEXT, error TEXT, done_at INTEGER)");
            s.execute("CREATE UNIQUE INDEX IF NOT EXISTS items_key ON items(queue, dedup_key) WHERE dedup_key IS NOT NULL");
            s.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, json TEXT NOT NULL, worker TEXT,"
                    + " item_id INTEGER, stored_at INTEGER NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS snapshots (name TEXT PRIMARY KEY, file TEXT NOT NULL, size INTEGER NOT NULL,"
                    + " sha256 TEXT NOT NULL, worker TEXT, item_id INTEGER, saved_at INTEGER NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS launches (id INTEGER PRIMARY KEY, request TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, launch INTEGER NOT NULL, status TEXT NOT NULL,"
                    + " exit_code INTEGER, reason TEXT, ip TEXT, pid INTEGER, created_at INTEGER, started_at INTEGER,"
                    + " finished_at INTEGER)");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
