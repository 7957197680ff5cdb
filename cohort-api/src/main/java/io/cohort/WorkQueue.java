package io.cohort;

import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * A named queue of work items that workers drain. Items are JSON values (maps, lists, strings,
 * numbers, booleans, records). A worker leases an item; it is invisible to other workers until
 * acknowledged, and goes back to the queue if the worker fails it, dies, is stopped, or its lease
 * expires. After {@link QueueOptions#maxAttempts()} failed attempts it moves to the dead letters.
 * Every change is stored in the session's database before it is confirmed.
 */
public interface WorkQueue {

    String name();

    /** Adds one item. */
    void put(Object item);

    /** Adds items, in order, in one durable step. */
    void putAll(Collection<?> items);

    /**
     * Adds an item unless an item with the same key was ever added to this queue (a crawler adding
     * the links it finds). Returns true if it was added.
     */
    boolean putUnique(String key, Object item);

    /** No more items will come: once the queue is empty, waiting workers are told they are done. */
    void close();

    /** Done, in flight, failed, and what is left, right now. */
    QueueProgress progress();

    /** Items that failed too often, with their last error. */
    List<DeadLetter> deadLetters();

    /**
     * Waits until the queue is closed and every item is done or dead, printing a progress line to the
     * session console every second. Returns early, not drained, when the timeout passes (zero = no
     * limit) or when no worker of the session is left alive while items remain.
     */
    QueueProgress awaitDrained(Duration timeout);
}
