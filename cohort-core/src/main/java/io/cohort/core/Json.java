package io.cohort.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cohort.CohortException;

/** JSON for items, results and the control plane: maps, lists, records, strings, numbers, booleans. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    /** A value as JSON text; fails with the value's type when it cannot be written. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new CohortException("cannot turn a " + (value == null ? "null" : value.getClass().getName())
                    + " into JSON: " + e.getOriginalMessage() + ". Use maps, lists, records, strings, numbers or booleans", e);
        }
    }

    /** JSON text as plain Java values: Map, List, String, Number, Boolean or null. */
    public static Object read(String json) {
        try {
            return MAPPER.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
