package io.cohort.core.store;

import io.cohort.CohortException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The session's database: SQLite in WAL mode in the session directory. Changes are grouped: whoever
 * commits takes every change waiting at that moment into one transaction (group commit), and each
 * change's future completes when its transaction has committed. A caller that waits for its change
 * commits the group itself when no one else is committing (leader/follower), which saves two thread
 * hand-offs per request; a background thread commits changes nobody waits for. Reads use the same
 * connection, between commits. The connection holds SQLite's lock for the session's life (no file
 * locking per transaction), so other programs can read the database only once the session has ended.
 */
public final class Store implements AutoCloseable {
    private static final int MAX_GROUP = 4096;
    private final Path file;
    private final Durability durability;
    private final Connection writer;
    private final BlockingQueue<Op> pending = new LinkedBlockingQueue<>();
    private final java.util.concurrent.locks.ReentrantLock committing = new java.util.concurrent.locks.ReentrantLock();
    private final Tx tx;
    private final Thread thread;
    /** SAVEPOINT, RELEASE and ROLLBACK TO around each piece of work of a group: prepared once, not parsed per piece. */
    private final PreparedStatement savepoint;
    private final PreparedStatement release;
    private final PreparedStatement rollbackTo;
    private volatile boolean closed;

    /** One piece of work in a group transaction. */
    @FunctionalInterface
    public interface Work {
        void run(Tx tx) throws SQLException;
    }

    /** Binds a number that may be absent (SQL NULL). */
    public static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, java.sql.Types.INTEGER);
        } else {
            ps.setLong(index, value);
        }
    }

    /** Reads with the read connection. */
    @FunctionalInterface
    public interface Read<T> {
        T run(Connection c) throws SQLException;
    }

    /** A group transaction: statements are prepared once and reused. */
    public static final class Tx {
        private final Connection connection;
        private final Map<String, PreparedStatement> statements = new HashMap<>();

        Tx(Connection connection) {
            this.connection = connection;
        }

        public PreparedStatement statement(String sql) throws SQLException {
            PreparedStatement ps = statements.get(sql);
            if (ps == null) {
                ps = connection.prepareStatement(sql);
                statements.put(sql, ps);
            }
            return ps;
        }
    }

    private record Op(Work work, Change done) {
    }

    /** A change's completion; remembers whether anyone waits for it, so that a failure nobody hears is reported. */
    private static final class Change extends CompletableFuture<Void> {
        volatile boolean awaited;
    }

    private Store(Path file, Durability durability) throws SQLException {
        this.file = file;
        this.durability = durability;
        io.cohort.core.PrivateFiles.file(file);
        this.writer = connect(file, durability);
        Schema.create(writer);
        this.writer.setAutoCommit(false);
        this.tx = new Tx(writer);
        this.savepoint = writer.prepareStatement("SAVEPOINT piece");
        this.release = writer.prepareStatement("RELEASE piece");
        this.rollbackTo = writer.prepareStatement("ROLLBACK TO piece");
        this.thread = new Thread(this::run, "cohort-store");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public static Store open(Path file, Durability durability) {
        try {
            return new Store(file, durability);
        } catch (SQLException e) {
            throw new CohortException("cannot open the session database " + file + ": " + e.getMessage(), e);
        }
    }

    public Durability durability() {
        return durability;
    }

    public Path file() {
        return file;
    }

    private static Connection connect(Path file, Durability durability) throws SQLException {
        SqliteNative.useCachedCopy();
        // SQLite's driver itself, not DriverManager: that would load every JDBC driver on the class path first.
        Connection c = org.sqlite.JDBC.createConnection("jdbc:sqlite:" + file, new java.util.Properties());
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=" + durability.sqliteSynchronous);
            s.execute("PRAGMA busy_timeout=10000");
            s.execute("PRAGMA foreign_keys=ON");
            // One connection, held for the session's life: no file locking per transaction.
            s.execute("PRAGMA locking_mode=EXCLUSIVE");
        }
        return c;
    }

    /**
     * Queues a change; the future completes when it is stored as {@link #durability()} says (at once
     * for OFF). A change is all or nothing: one that fails completes exceptionally, leaves none of its
     * statements behind, and does not affect the others. A failure is reported through {@link
     * io.cohort.core.backend.Background} unless someone waits for the change with {@link #await}.
     */
    public CompletableFuture<Void> write(Work work) {
        Change done = submit(work, false);
        return durability == Durability.OFF ? CompletableFuture.completedFuture(null) : done;
    }

    /** Queues a change and waits until it is stored. */
    public void writeAndWait(Work work) {
        if (durability == Durability.OFF) {
            submit(work, false);
            return;
        }
        await(submit(work, true));
    }

    private Change submit(Work work, boolean awaited) {
        Change done = new Change();
        done.awaited = awaited;
        pending.add(new Op(work, done));
        java.util.concurrent.locks.LockSupport.unpark(thread);
        return done;
    }

    /** Waits until a change is stored, committing the waiting group itself when no one else is. */
    public void await(CompletableFuture<Void> stored) {
        if (stored instanceof Change c) {
            c.awaited = true;
        }
        while (!stored.isDone()) {
            if (committing.tryLock()) {
                try {
                    commitPending(null);
                } finally {
                    committing.unlock();
                }
            } else {
                try {
                    stored.get(200, java.util.concurrent.TimeUnit.MICROSECONDS);
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    // Done exceptionally, or still waiting for the current committer: look again.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CohortException("interrupted while storing a change", e);
                }
            }
        }
        try {
            stored.join();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new CohortException("the session database refused a change: " + cause.getMessage(), cause);
        }
    }

    /** Reads on the same connection, between group commits, so it sees everything committed so far. */
    public <T> T read(Read<T> read) {
        committing.lock();
        try {
            return read.run(writer);
        } catch (SQLException e) {
            throw new CohortException("cannot read the session database " + file + ": " + e.getMessage(), e);
        } finally {
            committing.unlock();
        }
    }

    /**
     * Commits changes nobody waits for (and everything when durability is off). It takes the commit
     * lock before it takes anything from the queue: only the lock holder drains, so changes are
     * committed in the order they were queued.
     */
    private void run() {
        Runnable commit = io.cohort.core.backend.Background.reporting("the store's background commit of " + file, () -> {
            committing.lock();
            try {
                commitPending(null);
            } finally {
                committing.unlock();
            }
        });
        while (true) {
            if (pending.isEmpty()) {
                java.util.concurrent.locks.LockSupport.parkNanos(this, 100_000_000L);
            }
            commit.run();
            if (closed && pending.isEmpty()) {
                return;
            }
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    /**
     * Commits {@code first} (if any) and everything waiting, in one transaction, each piece of work
     * inside a savepoint of its own: a piece that fails is rolled back to its savepoint, so none of its
     * statements reach the commit, and the others commit. Holds the commit lock.
     */
    private void commitPending(Op first) {
        List<Op> group = new ArrayList<>();
        if (first != null) {
            group.add(first);
        }
        pending.drainTo(group, MAX_GROUP);
        if (group.isEmpty()) {
            return;
        }
        if (group.size() == 1) {
            commitAlone(group.get(0));
            return;
        }
        List<Op> applied = new ArrayList<>(group.size());
        try {
            for (Op op : group) {
                savepoint.execute();
                try {
                    op.work.run(tx);
                    release.execute();
                    applied.add(op);
                } catch (SQLException | RuntimeException | Error e) {
                    rollbackTo.execute();
                    release.execute();
                    fail(op, e);
                }
            }
            writer.commit();
            applied.forEach(op -> op.done.complete(null));
        } catch (SQLException | RuntimeException e) {
            // The transaction itself failed (the disk, the savepoints): nothing of the group is stored.
            rollbackQuietly();
            group.stream().filter(op -> !op.done.isDone()).forEach(op -> fail(op, e));
        }
    }

    /**
     * A group of one (the usual case when one caller at a time commits): the transaction is the
     * piece's own, so it needs no savepoint; a failure rolls the transaction back, which leaves
     * nothing of it, as {@link #commitPending} promises.
     */
    private void commitAlone(Op op) {
        try {
            op.work.run(tx);
            writer.commit();
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly();
            fail(op, e);
            return;
        }
        op.done.complete(null);
    }

    private void fail(Op op, Throwable e) {
        op.done.completeExceptionally(e);
        if (!op.done.awaited) {
            io.cohort.core.backend.Background.report("a change to the session database " + file + " that nobody waited for", e);
        }
    }

    private void rollbackQuietly() {
        try {
            writer.rollback();
        } catch (SQLException e) {
            // The commit failed and so did the rollback: the connection is gone, and each change says so.
        }
    }

    /**
     * Drops the connection the way a crash would: what is committed stays, what is queued is lost.
     * For tests of durability.
     */
    void abandon() {
        closed = true;
        pending.clear();
        committing.lock();
        try {
            writer.close();
        } catch (SQLException e) {
            // Gone either way.
        } finally {
            committing.unlock();
        }
    }

    /** Writes what is queued, then closes. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(30_000);
            committing.lock();
            try {
                writer.commit();
                writer.close();
            } finally {
                committing.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            // Closing: nothing more to save.
        }
    }
}
