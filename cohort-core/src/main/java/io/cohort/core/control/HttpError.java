package io.cohort.core.control;

/** A request the control plane refuses, with the HTTP status and a message that says what to fix. */
final class HttpError extends RuntimeException {
    final int status;

    HttpError(int status, String message) {
        super(message);
        this.status = status;
    }
}
