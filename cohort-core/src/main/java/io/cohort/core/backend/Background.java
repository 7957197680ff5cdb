package io.cohort.core.backend;

import java.lang.System.Logger.Level;

/**
 * Runs the session's background work (timers, the store's committer, the console) so that a
 * failure is never silent and never ends the work: it is reported through {@code System.Logger}
 * (logger {@code io.cohort}, level WARNING) and the task carries on with its next run.
 */
public final class Background {
    /** The logger every report goes to; configure it as any {@code System.Logger} (JUL by default). */
    public static final String LOGGER = "io.cohort";
    private static final System.Logger LOG = System.getLogger(LOGGER);

    /**
     * One daemon thread for the whole JVM that ends waits (a take or an agent poll whose time ran
     * out) and hands answers to waiting requests, so that waiting holds no thread of its own. Its
     * tasks are short and never block.
     */
    private static final java.util.concurrent.ScheduledThreadPoolExecutor WAITS = waits();

    private Background() {
    }

    private static java.util.concurrent.ScheduledThreadPoolExecutor waits() {
        var e = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cohort-waits");
            t.setDaemon(true);
            return t;
        });
        // A wait answered early cancels its timeout: cancelled ones leave the queue at once.
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** Runs {@code task} once after {@code delay} on the waits thread; cancel the answer to drop it. */
    public static java.util.concurrent.ScheduledFuture<?> after(java.time.Duration delay, String what, Runnable task) {
        return WAITS.schedule(reporting(what, task), Math.max(0, delay.toNanos()), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Runs {@code task} soon on the waits thread (an answer handed over outside the caller's lock). */
    public static void soon(String what, Runnable task) {
        WAITS.execute(reporting(what, task));
    }

    /**
     * The task, made to report a failure instead of throwing it, so that a timer running it keeps
     * running it. {@code what} names the task in the report ("the lease timer").
     */
    public static Runnable reporting(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError fatal) {
                    report(what, e);
                    throw fatal;
                }
                if (Thread.currentThread().isInterrupted()) {
                    return; // its executor is shutting down (the session closes): not a failure to report
                }
                report(what, e);
            }
        };
    }

    /** Reports a failure of background work that nobody else will hear of. */
    public static void report(String what, Throwable failure) {
        LOG.log(Level.WARNING, "cohort: " + what + " failed (it carries on): " + failure, failure);
    }
}
