package io.cohort;

import java.time.Duration;

/**
 * How a queue treats its items.
 *
 * @param maxAttempts after this many failed attempts an item moves to the dead letters (default 3)
 * @param leaseTime   how long a lease lasts without a heartbeat from its worker (default 30 s);
 *                    worker libraries send heartbeats, so long items keep their lease
 */
public record QueueOptions(int maxAttempts, Duration leaseTime) {
    public static final QueueOptions DEFAULTS = new QueueOptions(3, Duration.ofSeconds(30));

    public QueueOptions {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (leaseTime == null || leaseTime.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("leaseTime must be at least 100 ms, got " + leaseTime);
        }
    }

    public QueueOptions withMaxAttempts(int n) {
        return new QueueOptions(n, leaseTime);
    }

    public QueueOptions withLeaseTime(Duration d) {
        return new QueueOptions(maxAttempts, d);
    }
}
