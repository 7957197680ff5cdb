package io.cohort;

import java.time.Instant;

/**
 * One stored result.
 *
 * @param key      its key
 * @param json     its value as JSON text
 * @param value    its value parsed: Map, List, String, Number, Boolean or null
 * @param workerId the worker that stored it (null when the session did)
 * @param itemId   the queue item it was stored for, or null
 * @param storedAt when
 */
public record Result(String key, String json, Object value, String workerId, Long itemId, Instant storedAt) {
}
