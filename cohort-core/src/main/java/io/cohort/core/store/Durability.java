package io.cohort.core.store;

import java.util.Locale;

/**
 * What "stored" means before the session confirms a change (a put, an acknowledgement, a result).
 * Changes are grouped: many requests share one transaction, so durability costs little per item.
 */
public enum Durability {
    /** Confirmed once its group commit is in SQLite's write-ahead log: survives the session's crash, not the machine's (default). */
    COMMIT("NORMAL"),
    /** Confirmed once its group commit is fsynced: survives power loss too. */
    FSYNC("FULL"),
    /** Confirmed at once and written behind: a crash loses the last changes. For comparison only. */
    OFF("OFF");

    final String sqliteSynchronous;

    Durability(String sqliteSynchronous) {
        this.sqliteSynchronous = sqliteSynchronous;
    }

    public static Durability of(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cohort.durability must be commit, fsync or off, got '" + name + "'");
        }
    }
}
