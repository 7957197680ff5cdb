package io.cohort.core.control;

import io.cohort.Worker;
import io.cohort.core.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** {@code GET /v1/workers}: the session's workers, so that a worker can find its peers' addresses. */
final class WorkerRoutes {
    private volatile Supplier<List<Worker>> workers = List::of;

    void serve(Supplier<List<Worker>> workers) {
        this.workers = workers;
    }

    void route(Request r, List<String> p) throws IOException {
        if (p.size() > 2) {
            throw new HttpError(404, "no such endpoint: " + r.exchange.getRequestURI().getPath() + " (GET /v1/workers lists them all)");
        }
        ControlPlane.method(r, "GET");
        List<Map<String, Object>> list = new ArrayList<>();
        for (Worker w : workers.get()) {
            // The reference's names, as in a worker's description.
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", w.id());
            m.put("status", w.status().label());
            m.put("kernel", w.kernel().label());
            m.put("ip_address", w.ipAddress());
            m.put("app_url", w.appUrl());
            m.put("cpu", w.cpu());
            m.put("memory", w.memoryGb());
            m.put("nvidia_gpu", w.gpus().size());
            m.put("created_at", w.createdAt() == null ? null : w.createdAt().toString());
            m.put("running_at", w.startedAt() == null ? null : w.startedAt().toString());
            m.put("finished_at", w.finishedAt() == null ? null : w.finishedAt().toString());
            m.put("exit_code", w.exitCode());
            m.put("reason", w.reason());
            list.add(m);
        }
        ControlPlane.json(r.exchange, 200, Json.write(list));
    }
}
