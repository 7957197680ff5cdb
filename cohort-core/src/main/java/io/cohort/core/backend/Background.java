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

    private Background() {
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
                report(what, e);
                if (e instanceof VirtualMachineError fatal) {
                    throw fatal;
                }
            }
        };
    }

    /** Reports a failure of background work that nobody else will hear of. */
    public static void report(String what, Throwable failure) {
        LOG.log(Level.WARNING, "cohort: " + what + " failed (it carries on): " + failure, failure);
    }
}
