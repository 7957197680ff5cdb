package io.cohort.worker;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * One work item taken from a queue.
 *
 * @param id      its id in the queue (also what results and snapshots stored for it are tagged with)
 * @param attempt which attempt this is, from 1
 * @param json    its value as JSON text
 */
public record Item(long id, int attempt, String json) {

    /** The value: Map, List, String, Long (BigInteger beyond a long), Double, Boolean or null; see {@link Json}. */
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
        return number(field).doubleValue();
    }

    /** An integer field; refused when it is not a whole number or lies beyond a long. */
    public long getLong(String field) {
        Number n = number(field);
        try {
            if (n instanceof BigInteger b) {
                return b.longValueExact();
            }
            if (n instanceof Double || n instanceof BigDecimal) {
                return new BigDecimal(n.toString()).longValueExact();
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("field '" + field + "' of item " + id + " is " + n
                    + ", not an integer within a long; use getNumber", e);
        }
        return n.longValue();
    }

    /** An integer field; refused when it is not a whole number or lies beyond an int. */
    public int getInt(String field) {
        long v = getLong(field);
        if (v != (int) v) {
            throw new IllegalArgumentException("field '" + field + "' of item " + id + " is " + v + ", beyond an int; use getLong");
        }
        return (int) v;
    }

    /** A number field as it was read: Long, BigInteger, Double or BigDecimal. */
    public Number getNumber(String field) {
        return number(field);
    }

    public String getString(String field) {
        Object v = get(field);
        return v == null ? null : v.toString();
    }

    private Number number(String field) {
        Object v = get(field);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("field '" + field + "' of item " + id + " is not a number: " + Json.write(v));
        }
        return n;
    }
}
