package io.cohort;

/**
 * Where a worker is in its life. It only moves forward:
 * {@code SCHEDULING -> STARTING -> RUNNING -> SUCCEEDED | FAILED | STOPPED}
 * (a worker may also end straight from SCHEDULING or STARTING when it cannot start).
 */
public enum Status {
    /** Accepted by the session, waiting for the backend to place it. */
    SCHEDULING,
    /** The backend is starting its process (or job). */
    STARTING,
    /** Its program runs. */
    RUNNING,
    /** Its program exited with code 0. */
    SUCCEEDED,
    /** Its program exited with a non-zero code, ran out of memory, or could not start; see the reason. */
    FAILED,
    /** It was stopped by the user or by the end of its session. */
    STOPPED;

    /** True once the worker has ended and will not change again. */
    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == STOPPED;
    }

    /** True once the worker's program has started (it is running or has ended after running). */
    public boolean hasStarted() {
        return this == RUNNING || isFinal();
    }

    /** The lower-case name the reference API uses ("running", "succeeded", ...). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
