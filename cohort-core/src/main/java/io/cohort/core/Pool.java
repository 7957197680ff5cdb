package io.cohort.core;

import io.cohort.CohortException;
import io.cohort.ElasticPool;
import io.cohort.LaunchRequest;
import io.cohort.PoolOptions;
import io.cohort.QueueProgress;
import io.cohort.Worker;
import io.cohort.core.queue.QueueService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;

/**
 * An elastic pool (docs/groups.md): every {@link #TICK_MS} it compares its queue's ready items with
 * its idle workers (those holding no lease: starting, or waiting for an item), launches the
 * difference up to its max (as far as admission allows), and once nothing has been ready for the
 * grace, retires idle workers down to its min through {@link QueueService#retire}, which refuses a
 * worker holding a lease. Retired workers end by themselves when their next take answers done.
 */
final class Pool implements ElasticPool {
    static final long TICK_MS = 200;
    private final String queue;
    private final LaunchRequest template;
    private final PoolOptions options;
    private final QueueService queues;
    private final Function<LaunchRequest, List<Worker>> launch;
    private final Function<String, Worker> get;
    private final List<String> ids = new CopyOnWriteArrayList<>();
    private final Set<String> retired = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile int peak;
    private long idleSinceMs = -1;
    private String lastRefusal;
    volatile ScheduledFuture<?> tick;

    Pool(String queue, LaunchRequest template, PoolOptions options, QueueService queues,
         Function<LaunchRequest, List<Worker>> launch, Function<String, Worker> get) {
        this.queue = queue;
        this.template = template;
        this.options = options;
        this.queues = queues;
        this.launch = launch;
        this.get = get;
    }

    /** One look at the queue: grow, shrink, or nothing. Runs on the session's timer. */
    synchronized void tick() {
        List<Worker> live = ids.stream().map(get).filter(w -> !w.status().isFinal()).toList();
        peak = Math.max(peak, live.size());
        if (closed) {
            live.forEach(w -> retire(w.id()));
            if (live.isEmpty() && tick != null) {
                tick.cancel(false);
            }
            return;
        }
        QueueProgress p = queues.progress(queue);
        if (p.drained()) {
            return; // its workers hear "done" and end by themselves
        }
        Set<String> holders = queues.holders(queue);
        List<Worker> staying = live.stream().filter(w -> !retired.contains(w.id())).toList();
        List<Worker> idle = staying.stream().filter(w -> !holders.contains(w.id())).toList();
        long wanted = Math.max(options.min() - staying.size(), Math.min(options.max() - staying.size(), p.ready() - idle.size()));
        if (wanted > 0) {
            grow((int) wanted);
        }
        long now = System.currentTimeMillis();
        if (p.ready() > 0) {
            idleSinceMs = -1;
        } else if (idleSinceMs < 0) {
            idleSinceMs = now;
        } else if (now - idleSinceMs >= options.idleGrace().toMillis()) {
            int canGo = staying.size() - options.min();
            for (Worker w : idle) {
                if (canGo <= 0) {
                    break;
                }
                if (retire(w.id())) {
                    canGo--;
                }
            }
        }
    }

    private void grow(int n) {
        for (int k = n; k >= 1; k--) {
            try {
                for (Worker w : launch.apply(template.withN(k))) {
                    ids.add(w.id());
                }
                lastRefusal = null;
                return;
            } catch (CohortException e) {
                // Not this many now (the machine is full): fewer, or again at the next tick.
                lastRefusal = e.getMessage();
            }
        }
    }

    private boolean retire(String id) {
        if (retired.contains(id)) {
            return true;
        }
        if (queues.retire(queue, id)) {
            retired.add(id);
            return true;
        }
        return false;
    }

    @Override
    public String queue() {
        return queue;
    }

    @Override
    public List<Worker> workers() {
        return ids.stream().map(get).toList();
    }

    @Override
    public int live() {
        return (int) workers().stream().filter(w -> !w.status().isFinal()).count();
    }

    @Override
    public int peak() {
        return peak;
    }

    /** Why the last growth was refused (the machine was full), or null. */
    String lastRefusal() {
        return lastRefusal;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        List<String> states = new ArrayList<>();
        workers().forEach(w -> states.add(w.id() + " " + w.status().label()));
        return "pool on queue " + queue + " " + options + ": " + states;
    }
}
