package io.cohort.worker;

import java.util.Map;

/**
 * One work item taken from a queue.
 *
 * @param id      its id in the queue (also what results and snapshots stored for it are tagged with)
 * @param attempt which attempt this is, from 1
 * @param json    its value as JSON text
 */
public record Item(long id, int attempt, String json) {

    /** The value: Map, List, String, Long, Double, Boolean or null. */
    public Object value() {
        return Json.parse(json);
    }

    /** The value as a map (for items that are JSON objects). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> asMap() {
        Object v = value();
        if (!(v instanceof Map)) {
            throw new IllegalStateException("item " + id + " is not a JSON object: " + json);
        }
        return (Map<String, Object>) v;
    }

    /** A field of an object item. */
    public Object get(String field) {
        Map<String, Object> m = asMap();
        if (!m.containsKey(field)) {
            throw new IllegalArgumentException("item " + id + " has no field '" + field + "'; it has " + m.keySet());
        }
        return m.get(field);
    }

    public double getDouble(String field) {
        return ((Number) get(field)).doubleValue();
    }

    public long getLong(String field) {
        return ((Number) get(field)).longValue();
    }

    public int getInt(String field) {
        return (int) getLong(field);
    }

    public String getString(String field) {
        Object v = get(field);
        return v == null ? null : v.toString();
    }
}
