package io.cohort.core.queue;

import io.cohort.QueueOptions;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;

/** One queue's items and counts. Guarded by the service's lock. */
final class QueueState {
    final String name;
    final QueueOptions options;
    final ArrayDeque<QueueItem> ready = new ArrayDeque<>();
    final Map<Long, QueueItem> leased = new LinkedHashMap<>();
    final Set<String> keys = new HashSet<>();
    /** Workers retired from this queue by their pool: their takes answer done. */
    final Set<String> retired = new HashSet<>();
    /** Takes waiting for an item, oldest first. */
    final ArrayDeque<QueueService.Waiter> waiting = new ArrayDeque<>();
    final Condition changed;
    final RateMeter rate;
    boolean closed;
    long added;
    long done;
    long dead;

    QueueState(String name, QueueOptions options, Condition changed, RateMeter rate) {
        this.name = name;
        this.options = options;
        this.changed = changed;
        this.rate = rate;
    }

    boolean drained() {
        return closed && ready.isEmpty() && leased.isEmpty();
    }
}
