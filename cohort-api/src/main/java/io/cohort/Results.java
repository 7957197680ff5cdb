package io.cohort;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** What workers stored: one JSON value per key; storing under a key again replaces it. */
public interface Results {

    Optional<Result> get(String key);

    /** All results, in key order. */
    List<Result> list();

    /** Results whose key starts with a prefix, in key order. */
    List<Result> withPrefix(String prefix);

    default void forEach(Consumer<Result> action) {
        list().forEach(action);
    }

    /** How many results there are. */
    long count();

    /** Stores a result from the session itself. */
    void put(String key, Object value);
}
