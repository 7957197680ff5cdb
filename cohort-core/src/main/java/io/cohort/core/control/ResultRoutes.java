package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.cohort.Result;
import io.cohort.core.Json;
import io.cohort.core.results.ResultStore;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /v1/results...}: a JSON value per key, stored by workers (docs/control-plane.md, "Results and snapshots"). */
final class ResultRoutes {
    private final ResultStore results;

    ResultRoutes(ResultStore results) {
        this.results = results;
    }

    void route(Request r, List<String> p) throws IOException {
        // Any key travels as ?key=...; a simple one may also be the rest of the path (/v1/results/lr=0.1).
        String keyParameter = r.query("key");
        if (p.size() == 2 && keyParameter == null) {
            r.expect("GET");
            String prefix = r.query("prefix");
            List<Result> list = prefix == null ? results.list() : results.withPrefix(prefix);
            r.answer(200, list.stream().map(ResultRoutes::describe).toList());
            return;
        }
        String key = keyParameter != null ? keyParameter : String.join("/", p.subList(2, p.size()));
        switch (r.method) {
            case "PUT", "POST" -> {
                // Parsed from the bytes, as items are: a body that is not valid UTF-8 is refused, never patched with U+FFFD.
                byte[] body = r.body();
                JsonNode value;
                try {
                    value = Json.MAPPER.readTree(body);
                } catch (IOException e) {
                    throw new HttpError(400, "a result must be a JSON value in UTF-8: "
                            + e.getMessage().lines().findFirst().orElse(""));
                }
                if (value == null || value.isMissingNode()) {
                    throw new HttpError(400, "a result must be a JSON value; the body is empty");
                }
                results.put(key, value.toString(), r.worker(), r.item());
                r.answer(200, Map.of());
            }
            case "GET" -> r.answer(200, new RawValue(results.json(key)
                    .orElseThrow(() -> new HttpError(404, "no result under key '" + key + "'"))));
            default -> throw new HttpError(405, "results take GET or PUT, got " + r.method);
        }
    }

    private static Map<String, Object> describe(Result x) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", x.key());
        m.put("worker", x.workerId());
        m.put("item", x.itemId());
        m.put("stored_at", x.storedAt().toString());
        m.put("value", new RawValue(x.json()));
        return m;
    }
}
