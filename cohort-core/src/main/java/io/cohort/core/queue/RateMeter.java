package io.cohort.core.queue;

import java.time.Clock;

/** Items done per second over a sliding window of one-second buckets. */
final class RateMeter {
    private static final int SECONDS = 10;
    private final Clock clock;
    private final long[] counts = new long[SECONDS];
    private final long[] stamps = new long[SECONDS];
    private final long startedAt;

    RateMeter(Clock clock) {
        this.clock = clock;
        this.startedAt = clock.millis();
    }

    void record(long n) {
        long second = clock.millis() / 1000;
        int slot = (int) (second % SECONDS);
        if (stamps[slot] != second) {
            stamps[slot] = second;
            counts[slot] = 0;
        }
        counts[slot] += n;
    }

    double perSecond() {
        long now = clock.millis();
        long second = now / 1000;
        long sum = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (second - stamps[i] < SECONDS) {
                sum += counts[i];
            }
        }
        double window = Math.min(SECONDS, Math.max(1.0, (now - startedAt) / 1000.0));
        return sum / window;
    }
}
