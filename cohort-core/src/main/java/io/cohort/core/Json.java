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

    /** Appends a string as a JSON string literal, quoted and escaped exactly as {@link #write} does. */
    public static StringBuilder quote(StringBuilder to, String text) {
        to.append('"');
        boolean plain = true;
        for (int i = 0; i < text.length() && plain; i++) {
            char c = text.charAt(i);
            plain = c >= 0x20 && c != '"' && c != '\\';
        }
        if (plain) {
            to.append(text);
        } else {
            com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(text, to);
        }
        return to.append('"');
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
