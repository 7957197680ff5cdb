package io.cohort.core.queue;

/** One item as the queue service holds it in memory. Guarded by the service's lock. */
final class QueueItem {
    final long id;
    final String json;
    int attempts;
    String worker;
    long leaseExpiresAt;
    String lastError;

    QueueItem(long id, String json, int attempts) {
        this.id = id;
        this.json = json;
        this.attempts = attempts;
    }
}
