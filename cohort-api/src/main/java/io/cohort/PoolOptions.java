package io.cohort;

import java.time.Duration;
import java.util.Objects;

/**
 * How an elastic pool grows and shrinks (docs/groups.md, "Elastic pools").
 *
 * @param min       the fewest workers it keeps while its queue is open (0 or more)
 * @param max       the most it runs at once (at least 1 and at least min)
 * @param idleGrace how long the queue must have had nothing ready before an idle worker (one holding
 *                  no lease) is retired
 */
public record PoolOptions(int min, int max, Duration idleGrace) {
    public PoolOptions {
        if (min < 0) {
            throw new IllegalArgumentException("a pool's min (workers it keeps) must be 0 or more, got " + min);
        }
        if (max < 1 || max < min) {
            throw new IllegalArgumentException("a pool's max (workers at once) must be at least 1 and at least min ("
                    + min + "), got " + max);
        }
        Objects.requireNonNull(idleGrace, "idleGrace");
        if (idleGrace.isNegative()) {
            throw new IllegalArgumentException("a pool's idleGrace must be zero or more, got " + idleGrace);
        }
    }

    /** Up to {@code max} workers, none kept idle, retired after 2 s with nothing ready. */
    public static PoolOptions upTo(int max) {
        return new PoolOptions(0, max, Duration.ofSeconds(2));
    }
}
