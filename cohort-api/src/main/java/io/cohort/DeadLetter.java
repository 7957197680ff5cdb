package io.cohort;

/** An item that failed too often: its id, value (as JSON), attempts and last error. */
public record DeadLetter(long itemId, String json, int attempts, String error) {
}
