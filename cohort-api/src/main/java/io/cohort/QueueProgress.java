package io.cohort;

import java.time.Duration;

/**
 * A queue's counts at one moment.
 *
 * @param queue         its name
 * @param added         items ever added
 * @param ready         waiting for a worker
 * @param inFlight      leased by a worker, not yet acknowledged
 * @param done          acknowledged
 * @param failed        moved to the dead letters
 * @param closed        no more items will come
 * @param ratePerSecond items done per second, over the last few seconds
 * @param eta           time left at that rate, or null when unknown
 */
public record QueueProgress(String queue, long added, long ready, long inFlight, long done, long failed,
                            boolean closed, double ratePerSecond, Duration eta) {

    /** Closed, and every item done or failed. */
    public boolean drained() {
        return closed && ready == 0 && inFlight == 0;
    }

    /** One line for a console: a bar, the counts, the rate and the time left. */
    public String line() {
        long total = Math.max(added, 1);
        int width = 24;
        int full = (int) Math.round(width * (double) (done + failed) / total);
        String bar = "#".repeat(full) + ".".repeat(Math.max(0, width - full));
        String eta = this.eta == null ? "?" : this.eta.toSeconds() + " s";
        return String.format("[%s] [%s] %d/%d done, %d in flight, %d failed, %.1f/s, ETA %s%s", queue, bar, done,
                added, inFlight, failed, ratePerSecond, drained() ? "0 s" : eta, closed ? "" : " (open)");
    }
}
