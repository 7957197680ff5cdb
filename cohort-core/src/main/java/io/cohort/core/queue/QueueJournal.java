package io.cohort.core.queue;

import io.cohort.DeadLetter;
import io.cohort.QueueOptions;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the queues' changes are kept so that they survive a crash: queues, items added, done, failed
 * or dead. {@link QueueService} holds the lease logic in memory and tells its journal every change;
 * the session's is {@link SqliteQueueJournal}, and tests may give it one in memory.
 */
public interface QueueJournal {

    /** A queue as stored. */
    record StoredQueue(String name, QueueOptions options, boolean closed) {
    }

    /**
     * An item as stored.
     *
     * @param state ready, done or dead (an item in flight is stored as ready)
     */
    record StoredItem(long id, String queue, String json, String key, String state, int attempts) {
    }

    /** An item to add: its id, its JSON, and its de-duplication key (or null). */
    record NewItem(long id, String json, String key) {
    }

    /** Every stored queue, in any order. */
    List<StoredQueue> queues();

    /** Every stored item, by id. */
    List<StoredItem> items();

    /** Stores a queue unless it exists. */
    CompletableFuture<Void> declare(String name, QueueOptions options);

    /** Stores new items, and returns once they are stored (or throws). */
    void addAndWait(String queue, List<NewItem> items);

    /** Stores that a queue is closed, and returns once it is. */
    void closeAndWait(String queue);

    /** Stores that items were done by {@code worker} at {@code atMillis}. */
    CompletableFuture<Void> done(List<Long> ids, String worker, long atMillis);

    /** Stores that a leased item went back: ready again, or dead, with its attempts and last error. */
    CompletableFuture<Void> released(long id, boolean dead, int attempts, String error);

    /** The ids among {@code ids} that the queue never had. */
    List<Long> unknown(String queue, List<Long> ids);

    /** Up to {@code limit} items of the queue with ids after {@code afterId}, by id: a page of its items. */
    default List<StoredItem> page(String queue, long afterId, int limit) {
        return items().stream().filter(i -> i.queue().equals(queue) && i.id() > afterId).limit(limit).toList();
    }

    /** The queue's dead letters, by id. */
    List<DeadLetter> deadLetters(String queue);

    /** Waits until a change is stored; a failed change is thrown. */
    void await(CompletableFuture<Void> change);
}
