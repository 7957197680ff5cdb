package io.cohort.core.queue;

import io.cohort.CohortException;
import io.cohort.DeadLetter;
import io.cohort.QueueOptions;
import io.cohort.QueueProgress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The session's queues. Ready items and leases live in memory behind one lock; every change that
 * must survive a crash (an item added, acknowledged, failed, dead) is told to the {@link QueueJournal},
 * and the caller is answered once it is stored. A lease itself is never stored: after a crash,
 * whatever was in flight is simply ready again.
 */
public final class QueueService {
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, QueueState> queues = new HashMap<>();
    private final QueueJournal journal;
    private final Clock clock;
    private long nextId;
    /** Per worker, its acknowledgements sent without waiting and not yet confirmed to it ({@link #confirmed}). */
    private final java.util.concurrent.ConcurrentHashMap<String, CompletableFuture<Void>> unconfirmed =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Items handed to a worker by {@link #take}; {@code done} when the queue is closed and nothing is
     * left; {@code leaseMillis} how long a lease lasts without a heartbeat.
     */
    public record Taken(List<Leased> items, boolean done, long leaseMillis) {
    }

    /** One leased item: its id, the attempt this is (from 1), and its JSON. */
    public record Leased(long id, int attempt, String json) {
    }

    public QueueService(QueueJournal journal, Clock clock) {
        this.journal = journal;
        this.clock = clock;
        restore();
    }

    /** Declares a queue (idempotent); returns the options it has, which a later call cannot change. */
    public QueueOptions declare(String name, QueueOptions options) {
        checkName(name);
        lock.lock();
        try {
            QueueState q = queues.get(name);
            if (q != null) {
                return q.options;
            }
            q = newState(name, options);
            queues.put(name, q);
        } finally {
            lock.unlock();
        }
        journal.await(journal.declare(name, options));
        return options;
    }

    public List<String> names() {
        lock.lock();
        try {
            return queues.keySet().stream().sorted().toList();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds items (JSON texts); a non-null key that the queue has seen before skips its item.
     * Returns how many were added. They are visible to workers once stored.
     */
    public int put(String name, List<String> jsons, List<String> keys) {
        List<QueueItem> accepted = new ArrayList<>();
        List<String> acceptedKeys = new ArrayList<>();
        List<QueueJournal.NewItem> stored = new ArrayList<>();
        QueueState q;
        lock.lock();
        try {
            q = state(name);
            if (q.closed) {
                throw new CohortException("queue '" + name + "' is closed: no more items can be added to it");
            }
            for (int i = 0; i < jsons.size(); i++) {
                String key = keys == null ? null : keys.get(i);
                if (key != null && !q.keys.add(key)) {
                    continue;
                }
                QueueItem item = new QueueItem(nextId++, jsons.get(i), 0);
                accepted.add(item);
                acceptedKeys.add(key);
                stored.add(new QueueJournal.NewItem(item.id, item.json, key));
            }
            q.added += accepted.size();
        } finally {
            lock.unlock();
        }
        if (accepted.isEmpty()) {
            return 0;
        }
        try {
            journal.addAndWait(name, stored);
        } catch (RuntimeException e) {
            // Not stored: as if never added, so the same keys can be put again.
            lock.lock();
            try {
                q.added -= accepted.size();
                acceptedKeys.forEach(k -> {
                    if (k != null) {
                        q.keys.remove(k);
                    }
                });
            } finally {
                lock.unlock();
            }
            throw e;
        }
        lock.lock();
        try {
            q.ready.addAll(accepted);
            changed(q);
        } finally {
            lock.unlock();
        }
        return accepted.size();
    }

    public void close(String name) {
        lock.lock();
        try {
            QueueState q = state(name);
            if (q.closed) {
                return;
            }
            q.closed = true;
            changed(q);
        } finally {
            lock.unlock();
        }
        journal.closeAndWait(name);
    }

    /**
     * Acknowledges {@code acks}, then leases up to {@code max} items to {@code worker}, waiting up to
     * {@code wait} for one when none is ready. Returns done when the queue is closed and has nothing
     * ready or in flight. Answers once the acknowledgements are stored.
     */
    public Taken take(String name, String worker, int max, Duration wait, List<Long> acks) throws InterruptedException {
        CompletableFuture<Taken> answer = takeLater(name, worker, max, wait, acks);
        try {
            return answer.get();
        } catch (InterruptedException e) {
            // Whatever it was handed meanwhile goes back ({@link #deliver}).
            answer.cancel(false);
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new CohortException("take from queue '" + name + "' failed: " + e.getCause(), e.getCause());
        }
    }

    /** {@link #takeLater(String, String, int, Duration, List, boolean)} answering only once {@code acks} are stored. */
    public CompletableFuture<Taken> takeLater(String name, String worker, int max, Duration wait, List<Long> acks) {
        return takeLater(name, worker, max, wait, acks, true);
    }

    /**
     * {@link #take} without holding the caller's thread: the answer completes when items are leased,
     * the queue is drained, or the wait runs out. A take that waits is a waiter on its queue, served
     * in order of arrival by whichever change makes an item ready. Cancel the answer to withdraw the
     * take; items it was handed go back to the queue, as do those of an answer the caller could not
     * receive ({@link #giveBack}).
     *
     * @param ackWait true: answered once {@code acks} are stored (what a worker hears confirms them).
     *                false: answered without waiting for them, so a worker's next item does not wait
     *                for the commit of its last one; they are unconfirmed until an answer that is done
     *                (which waits for every unconfirmed acknowledgement of the worker, {@link #confirmed})
     *                or a later acknowledgement that waits. A crash before they are stored only makes
     *                those items ready again: at-least-once still holds, and no item the worker was
     *                told is stored is redone.
     */
    public CompletableFuture<Taken> takeLater(String name, String worker, int max, Duration wait, List<Long> acks,
                                              boolean ackWait) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        CompletableFuture<Void> acked = acks.isEmpty() ? null : ack(name, worker, acks);
        if (acked != null && !ackWait) {
            unconfirmed(worker, acked);
            acked = null;
        }
        QueueState q;
        Waiter waiter = null;
        Taken now = null;
        lock.lock();
        try {
            q = state(name);
            if (q.retired.contains(worker)) {
                // Retired by its pool: it ends when it hears the queue is done for it.
                now = new Taken(List.of(), true, q.options.leaseTime().toMillis());
            } else {
                List<Leased> items = lease(q, worker, max);
                if (!items.isEmpty() || q.drained() || wait.isZero() || wait.isNegative()) {
                    now = new Taken(items, items.isEmpty() && q.drained(), q.options.leaseTime().toMillis());
                } else {
                    waiter = new Waiter(worker, max);
                    q.waiting.addLast(waiter);
                }
            }
        } finally {
            lock.unlock();
        }
        CompletableFuture<Taken> answer;
        if (now != null) {
            answer = CompletableFuture.completedFuture(now);
        } else {
            Waiter w = waiter;
            QueueState queue = q;
            w.timeout = io.cohort.core.backend.Background.after(wait, "a waiting take's timeout", () -> expire(queue, w));
            answer = w.answer;
        }
        if (!ackWait) {
            // "Done" ends the worker's loop: by then everything it acknowledged is stored.
            return answer.thenCompose(t -> t.done() ? confirmed(worker).thenApply(v -> t) : CompletableFuture.completedFuture(t));
        }
        if (acked == null) {
            return answer;
        }
        // Answered once the acknowledgements are stored; if they cannot be, what was leased goes back.
        return answer.thenCombine(acked, (t, v) -> t).whenComplete((t, failure) -> {
            if (failure != null) {
                answer.thenAccept(t2 -> giveBack(name, worker, t2));
            }
        });
    }

    /** Remembers an acknowledgement of {@code worker} that it has not been told is stored. */
    private void unconfirmed(String worker, CompletableFuture<Void> stored) {
        if (stored.isDone() && !stored.isCompletedExceptionally()) {
            return;
        }
        unconfirmed.merge(worker, stored, (before, now) -> before.isDone() && !before.isCompletedExceptionally()
                ? now : CompletableFuture.allOf(before, now));
    }

    /**
     * Completes once every acknowledgement {@code worker} sent without waiting ({@code ackWait} false)
     * is stored; fails if one could not be.
     */
    public CompletableFuture<Void> confirmed(String worker) {
        CompletableFuture<Void> all = unconfirmed.get(worker);
        if (all == null) {
            return CompletableFuture.completedFuture(null);
        }
        return all.whenComplete((v, failure) -> {
            if (failure == null) {
                unconfirmed.remove(worker, all);
            }
        });
    }

    /**
     * Retires a worker from a queue, unless it holds a lease of it: its takes from now on (and one
     * waiting now) answer done, so its loop over the queue ends by itself. An elastic pool shrinks
     * this way, and so never stops a worker holding a lease. Returns whether it was retired.
     */
    public boolean retire(String name, String worker) {
        List<Waiter> answered = new ArrayList<>();
        QueueState q;
        lock.lock();
        try {
            q = state(name);
            for (QueueItem item : q.leased.values()) {
                if (worker.equals(item.worker)) {
                    return false;
                }
            }
            q.retired.add(worker);
            for (Iterator<Waiter> it = q.waiting.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.worker.equals(worker)) {
                    it.remove();
                    answered.add(w);
                }
            }
        } finally {
            lock.unlock();
        }
        for (Waiter w : answered) {
            deliver(q, w, new Taken(List.of(), true, q.options.leaseTime().toMillis()));
        }
        return true;
    }

    /** The workers that hold a lease of the queue now. */
    public java.util.Set<String> holders(String name) {
        lock.lock();
        try {
            java.util.Set<String> out = new java.util.HashSet<>();
            state(name).leased.values().forEach(i -> out.add(i.worker));
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** How many takes wait on the queue now. */
    public int waitingTakes(String name) {
        lock.lock();
        try {
            return state(name).waiting.size();
        } finally {
            lock.unlock();
        }
    }

    /** A take waiting for an item. Guarded by the service's lock, except its answer. */
    static final class Waiter {
        final String worker;
        final int max;
        final CompletableFuture<Taken> answer = new CompletableFuture<>();
        volatile java.util.concurrent.ScheduledFuture<?> timeout;

        Waiter(String worker, int max) {
            this.worker = worker;
            this.max = max;
        }
    }

    /** Leases up to {@code max} ready items to {@code worker}. Called with the lock held. */
    private List<Leased> lease(QueueState q, String worker, int max) {
        List<Leased> items = new ArrayList<>();
        long expires = clock.millis() + q.options.leaseTime().toMillis();
        while (items.size() < max && !q.ready.isEmpty()) {
            QueueItem item = q.ready.pollFirst();
            item.attempts++;
            item.worker = worker;
            item.leaseExpiresAt = expires;
            q.leased.put(item.id, item);
            items.add(new Leased(item.id, item.attempts, item.json));
        }
        return items;
    }

    /**
     * Something changed in the queue: wakes in-session waiters, and serves waiting takes in order
     * while items are ready (or all of them, empty and done, once the queue is drained). Called with
     * the lock held; the answers go out on the waits thread, outside it.
     */
    private void changed(QueueState q) {
        q.changed.signalAll();
        while (!q.waiting.isEmpty() && (!q.ready.isEmpty() || q.drained())) {
            Waiter w = q.waiting.pollFirst();
            if (w.answer.isDone()) {
                continue;
            }
            List<Leased> items = lease(q, w.worker, w.max);
            deliver(q, w, new Taken(items, items.isEmpty(), q.options.leaseTime().toMillis()));
        }
    }

    /** Its wait ran out: answers the take empty (unless a change served it first). */
    private void expire(QueueState q, Waiter w) {
        lock.lock();
        try {
            if (!q.waiting.remove(w)) {
                return;
            }
        } finally {
            lock.unlock();
        }
        w.answer.complete(new Taken(List.of(), false, q.options.leaseTime().toMillis()));
    }

    private void deliver(QueueState q, Waiter w, Taken t) {
        java.util.concurrent.ScheduledFuture<?> timeout = w.timeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
        io.cohort.core.backend.Background.soon("answering a waiting take", () -> {
            if (!w.answer.complete(t)) {
                // Withdrawn meanwhile: nobody will work on these.
                giveBack(q.name, w.worker, t);
            }
        });
    }

    /**
     * Items that were leased to {@code worker} but never reached it (its answer could not be written,
     * or its take was withdrawn) go back to the front of the queue without using up an attempt.
     */
    public void giveBack(String name, String worker, Taken taken) {
        if (taken.items().isEmpty()) {
            return;
        }
        lock.lock();
        try {
            QueueState q = state(name);
            for (Leased l : taken.items()) {
                QueueItem item = q.leased.get(l.id());
                if (item != null && worker.equals(item.worker) && item.attempts == l.attempt()) {
                    release(q, item, false, item.lastError);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** An item id the queue never had. */
    public static final class NoSuchItem extends CohortException {
        NoSuchItem(String message) {
            super(message);
        }
    }

    /**
     * Marks items done; already finished ids are ignored, so an acknowledgement can be repeated. An
     * id the queue never had is refused ({@link NoSuchItem}) and nothing is acknowledged.
     */
    public CompletableFuture<Void> ack(String name, String worker, List<Long> ids) {
        requireKnown(name, notInMemory(name, ids));
        List<Long> done = new ArrayList<>();
        lock.lock();
        try {
            QueueState q = state(name);
            for (long id : ids) {
                QueueItem item = q.leased.remove(id);
                if (item == null) {
                    // Its lease ran out and it went back to the queue, but the work was done after all.
                    Iterator<QueueItem> it = q.ready.iterator();
                    while (it.hasNext()) {
                        QueueItem r = it.next();
                        if (r.id == id) {
                            it.remove();
                            item = r;
                            break;
                        }
                    }
                }
                if (item != null) {
                    done.add(id);
                }
            }
            q.done += done.size();
            q.rate.record(done.size());
            if (!done.isEmpty()) {
                changed(q);
            }
        } finally {
            lock.unlock();
        }
        if (done.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return journal.done(done, worker, clock.millis());
    }

    /** The ids neither ready nor leased: finished (done, dead) or never the queue's. */
    private List<Long> notInMemory(String name, List<Long> ids) {
        lock.lock();
        try {
            QueueState q = state(name);
            List<Long> out = new ArrayList<>();
            for (long id : ids) {
                if (!q.leased.containsKey(id) && q.ready.stream().noneMatch(i -> i.id == id)) {
                    out.add(id);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses ids the queue never had. Asks the store only about ids not in memory (a repeated
     * acknowledgement, or a mistake): an item is stored before any worker can see its id, and an id once
     * known stays known, so the answer cannot go stale.
     */
    private void requireKnown(String name, List<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        List<Long> unknown = journal.unknown(name, ids);
        if (!unknown.isEmpty()) {
            throw new NoSuchItem("queue '" + name + "' has no item " + (unknown.size() == 1 ? "with id " + unknown.get(0)
                    : "with ids " + unknown) + "; ids are those a take returned");
        }
    }

    /** Waits until a change this service made is stored. */
    public void awaitStored(CompletableFuture<Void> change) {
        journal.await(change);
    }

    /**
     * The first of {@code ids} that a worker other than {@code worker} holds the lease of now, or null:
     * the control plane refuses a worker's credential an acknowledgement or failure of another's lease.
     */
    public Long leasedByAnother(String name, String worker, List<Long> ids) {
        lock.lock();
        try {
            QueueState q = queues.get(name);
            if (q == null) {
                return null;
            }
            for (long id : ids) {
                QueueItem item = q.leased.get(id);
                if (item != null && !worker.equals(item.worker)) {
                    return id;
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A worker reports that an item failed; it is tried again, or moves to the dead letters. A report
     * about an item the worker does not hold (any more) is ignored; one about an id the queue never
     * had is refused ({@link NoSuchItem}).
     */
    public void fail(String name, String worker, long id, String error) {
        requireKnown(name, notInMemory(name, List.of(id)));
        CompletableFuture<Void> stored;
        lock.lock();
        try {
            QueueState q = state(name);
            QueueItem item = q.leased.get(id);
            if (item == null || !worker.equals(item.worker)) {
                return;
            }
            stored = release(q, item, true, error);
        } finally {
            lock.unlock();
        }
        journal.await(stored);
    }

    /**
     * A worker ended: its leases go back at once. A worker that failed or died uses up an attempt of
     * each item it held; one that was stopped does not.
     */
    public void releaseWorker(String worker, boolean countsAsAttempt, String reason) {
        List<Runnable> withdrawn = new ArrayList<>();
        lock.lock();
        try {
            for (QueueState q : queues.values()) {
                // Its takes still waiting (their connections died with it) must not be handed items.
                for (Iterator<Waiter> it = q.waiting.iterator(); it.hasNext(); ) {
                    Waiter w = it.next();
                    if (w.worker.equals(worker)) {
                        it.remove();
                        if (w.timeout != null) {
                            w.timeout.cancel(false);
                        }
                        Taken none = new Taken(List.of(), false, q.options.leaseTime().toMillis());
                        withdrawn.add(() -> w.answer.complete(none));
                    }
                }
                for (QueueItem item : List.copyOf(q.leased.values())) {
                    if (worker.equals(item.worker)) {
                        release(q, item, countsAsAttempt, reason);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        // Nobody is left to hear its acknowledgements confirmed.
        unconfirmed.remove(worker);
        withdrawn.forEach(Runnable::run);
    }

    /** Extends every lease the worker holds. */
    public void heartbeat(String worker) {
        lock.lock();
        try {
            long now = clock.millis();
            for (QueueState q : queues.values()) {
                for (QueueItem item : q.leased.values()) {
                    if (worker.equals(item.worker)) {
                        item.leaseExpiresAt = now + q.options.leaseTime().toMillis();
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Puts back every item whose lease ran out; called on a timer. */
    public void expireLeases() {
        lock.lock();
        try {
            long now = clock.millis();
            for (QueueState q : queues.values()) {
                for (QueueItem item : List.copyOf(q.leased.values())) {
                    if (item.leaseExpiresAt <= now) {
                        release(q, item, true, "its lease of " + q.options.leaseTime().toMillis() + " ms ran out without a"
                                + " heartbeat from " + item.worker);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Called with the lock held. */
    private CompletableFuture<Void> release(QueueState q, QueueItem item, boolean countsAsAttempt, String error) {
        q.leased.remove(item.id);
        item.worker = null;
        item.lastError = error;
        if (!countsAsAttempt) {
            item.attempts--;
        }
        boolean dead = item.attempts >= q.options.maxAttempts();
        if (dead) {
            q.dead++;
        } else if (countsAsAttempt) {
            q.ready.addLast(item);
        } else {
            q.ready.addFirst(item);
        }
        changed(q);
        return journal.released(item.id, dead, item.attempts, error);
    }

    public QueueProgress progress(String name) {
        lock.lock();
        try {
            return progress(state(name));
        } finally {
            lock.unlock();
        }
    }

    private QueueProgress progress(QueueState q) {
        double rate = q.rate.perSecond();
        long left = q.ready.size() + q.leased.size();
        Duration eta = rate > 0 ? Duration.ofSeconds((long) Math.ceil(left / rate)) : null;
        return new QueueProgress(q.name, q.added, q.ready.size(), q.leased.size(), q.done, q.dead, q.closed, rate, eta);
    }

    /**
     * Waits until the queue is drained, the timeout (zero = none) passes, or no worker is alive while
     * work remains; calls {@code tick} about once a second with the progress.
     */
    public QueueProgress awaitDrained(String name, Duration timeout, BooleanSupplier workersAlive,
                                      Consumer<QueueProgress> tick) throws InterruptedException {
        long deadline = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        long nextTick = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (true) {
            QueueProgress p;
            lock.lock();
            try {
                QueueState q = state(name);
                long now = System.nanoTime();
                long wake = Math.min(deadline, nextTick);
                if (!q.drained() && now < wake) {
                    q.changed.awaitNanos(wake - now);
                }
                p = progress(q);
            } finally {
                lock.unlock();
            }
            long now = System.nanoTime();
            if (p.drained() || now >= deadline || !workersAlive.getAsBoolean()) {
                return p;
            }
            if (now >= nextTick) {
                tick.accept(p);
                nextTick = now + TimeUnit.SECONDS.toNanos(1);
            }
        }
    }

    /** An item as a page of the queue's items shows it; {@code state} is ready, in_flight, done or dead. */
    public record Listed(long id, String state, int attempts, String key, String json) {
    }

    /** Up to {@code limit} items of the queue with ids after {@code afterId}, by id, each with its state now. */
    public List<Listed> page(String name, long afterId, int limit) {
        List<QueueJournal.StoredItem> stored = journal.page(name, afterId, limit);
        lock.lock();
        try {
            QueueState q = state(name);
            return stored.stream().map(i -> new Listed(i.id(), q.leased.containsKey(i.id()) ? "in_flight" : i.state(),
                    i.attempts(), i.key(), i.json())).toList();
        } finally {
            lock.unlock();
        }
    }

    public List<DeadLetter> deadLetters(String name) {
        lock.lock();
        try {
            state(name);
        } finally {
            lock.unlock();
        }
        return journal.deadLetters(name);
    }

    /** A queue used before it was declared is declared with the defaults. Called with the lock held. */
    private QueueState state(String name) {
        QueueState q = queues.get(name);
        if (q == null) {
            checkName(name);
            q = newState(name, QueueOptions.DEFAULTS);
            queues.put(name, q);
            journal.declare(name, q.options);
        }
        return q;
    }

    private QueueState newState(String name, QueueOptions options) {
        return new QueueState(name, options, lock.newCondition(), new RateMeter(clock));
    }

    static void checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("queue names are 1 to 100 letters, digits, '.', '_' or '-', got '" + name + "'");
        }
    }

    /** Loads queues and items from the journal: what was in flight when the session ended is ready again. */
    private void restore() {
        for (QueueJournal.StoredQueue stored : journal.queues()) {
            QueueState q = newState(stored.name(), stored.options());
            q.closed = stored.closed();
            queues.put(q.name, q);
        }
        for (QueueJournal.StoredItem item : journal.items()) {
            QueueState q = queues.get(item.queue());
            q.added++;
            if (item.key() != null) {
                q.keys.add(item.key());
            }
            switch (item.state()) {
                case "done" -> q.done++;
                case "dead" -> q.dead++;
                default -> q.ready.add(new QueueItem(item.id(), item.json(), item.attempts()));
            }
            nextId = Math.max(nextId, item.id() + 1);
        }
        if (nextId == 0) {
            nextId = 1;
        }
    }
}
