package io.cohort.core;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.Status;
import io.cohort.Worker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * The single owner of worker state. Every change goes through {@link #update}, which keeps statuses
 * moving forward only, publishes the new description, and wakes everyone waiting on a change.
 */
public final class WorkerRegistry {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final EventBus events;
    private final Clock clock;

    public WorkerRegistry(EventBus events, Clock clock) {
        this.events = events;
        this.clock = clock;
    }

    public Clock clock() {
        return clock;
    }

    public void add(Worker worker) {
        lock.lock();
        try {
            workers.put(worker.id(), worker);
            events.publish(new WorkerEvent.Changed(worker));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies a change to one worker. A worker that has ended does not change again, and a status
     * never moves back; such updates are ignored. Returns the description after the update.
     */
    public Worker update(String id, UnaryOperator<Worker> change) {
        return change(id, change).after();
    }

    /**
     * What one update did: the description before and after it, taken under the registry's lock, so
     * that of several updates racing to end a worker exactly one sees {@link #ended()}.
     */
    public record Change(Worker before, Worker after) {
        /** True when this update ended the worker (it was not final before, and is now). */
        public boolean ended() {
            return !before.status().isFinal() && after.status().isFinal();
        }
    }

    /** Applies a change as {@link #update} does, and says what it did. */
    public Change change(String id, UnaryOperator<Worker> change) {
        lock.lock();
        try {
            Worker before = require(id);
            if (before.status().isFinal()) {
                return new Change(before, before);
            }
            Worker after = change.apply(before);
            if (after.equals(before)) {
                return new Change(before, before);
            }
            if (after.status().ordinal() < before.status().ordinal() && !after.status().isFinal()) {
                return new Change(before, before);
            }
            workers.put(id, after);
            events.publish(new WorkerEvent.Changed(after));
            changed.signalAll();
            return new Change(before, after);
        } finally {
            lock.unlock();
        }
    }

    public Worker get(String id) {
        lock.lock();
        try {
            return require(id);
        } finally {
            lock.unlock();
        }
    }

    public List<Worker> all() {
        lock.lock();
        try {
            return List.copyOf(workers.values());
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every named worker has decided (reached or failed), or the timeout (zero = none) passes. */
    /** Awaits longer than this wait without limit. */
    static final Duration NO_LIMIT_BEYOND = Duration.ofDays(365L * 100);

    public AwaitResult await(Collection<String> ids, boolean waitForCompletion, Duration timeout) throws InterruptedException {
        // Zero, or longer than anyone waits (nanoseconds overflow past 292 years): no limit.
        long deadline = timeout.isZero() || timeout.compareTo(NO_LIMIT_BEYOND) > 0 ? Long.MAX_VALUE
                : System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            ids.forEach(this::require);
            while (true) {
                // At the deadline, whoever has not decided yet counts as a failure.
                boolean expired = deadline - System.nanoTime() <= 0;
                List<Worker> reached = new ArrayList<>();
                List<Worker> failed = new ArrayList<>();
                boolean undecided = false;
                for (String id : ids) {
                    Worker w = workers.get(id);
                    Boolean r = reached(w, waitForCompletion);
                    if (r == null && !expired) {
                        undecided = true;
                    } else {
                        (Boolean.TRUE.equals(r) ? reached : failed).add(w);
                    }
                }
                if (!undecided) {
                    return new AwaitResult(reached, failed);
                }
                long left = deadline - System.nanoTime();
                changed.awaitNanos(Math.max(1, Math.min(left, TimeUnit.SECONDS.toNanos(3600))));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Blocks until a worker has ended. */
    public Worker awaitFinal(String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!require(id).status().isFinal()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            return require(id);
        } finally {
            lock.unlock();
        }
    }

    /**
     * True = reached, false = will never reach, null = not yet known. A service worker never completes:
     * either way it is reached once ready, and fails if it ends.
     */
    private static Boolean reached(Worker w, boolean waitForCompletion) {
        Status s = w.status();
        if (w.isService()) {
            if (s.isFinal()) {
                return false;
            }
            return s == Status.RUNNING && w.ready() ? Boolean.TRUE : null;
        }
        if (waitForCompletion) {
            return s.isFinal() ? s == Status.SUCCEEDED : null;
        }
        if (s == Status.RUNNING || s == Status.SUCCEEDED) {
            return true;
        }
        return s.isFinal() ? false : null;
    }

    private Worker require(String id) {
        Worker w = workers.get(id);
        if (w == null) {
            throw new CohortException("no worker '" + id + "' in this session; its workers are " + workers.keySet());
        }
        return w;
    }
}
