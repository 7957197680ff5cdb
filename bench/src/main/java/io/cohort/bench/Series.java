package io.cohort.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Named lists of per-round values ("session.wall" -> [r1, r2, ...]). */
final class Series {
    private final Map<String, List<Double>> values = new LinkedHashMap<>();

    void add(String key, double v) {
        values.computeIfAbsent(key, k -> new ArrayList<>()).add(v);
    }

    List<Double> get(String key) {
        return values.getOrDefault(key, List.of());
    }

    boolean has(String key) {
        return !get(key).isEmpty();
    }
}
