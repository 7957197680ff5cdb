package io.cohort;

/** A request the session cannot carry out; the message names the problem and the fix. */
public class CohortException extends RuntimeException {
    public CohortException(String message) {
        super(message);
    }

    public CohortException(String message, Throwable cause) {
        super(message, cause);
    }
}
