package io.cohort.core.control;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Worker;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A worker's description as the session API writes it: the reference's field names (see
 * docs/session-api.md), the same everywhere a worker is answered: list, launch, await, stop, events.
 */
public final class WorkerJson {
    private WorkerJson() {
    }

    /**
     * @param w       the worker
     * @param request the launch it came from, or null when unknown (then script and code come from
     *                the worker's one-line description)
     */
    public static Map<String, Object> describe(Worker w, LaunchRequest request) {
        Map<String, Object> m = new LinkedHashMap<>();
        Program program = request == null ? null : request.program();
        // Structured fields first and free text (code, reasons, notes, env) last: a shell script that
        // splits the list at '{' (tr '{' '\n') still finds each worker's id, status and address on one line.
        m.put("id", w.id());
        m.put("status", w.status().label());
        // The reference's address reads "unknown" until one is assigned.
        m.put("ip_address", w.ipAddress() == null ? "unknown" : w.ipAddress());
        m.put("app_url", w.appUrl() == null ? "" : w.appUrl());
        m.put("kernel", w.kernel().label());
        m.put("group", w.group());
        m.put("role", w.role());
        m.put("rank", w.rank());
        m.put("ready", w.ready());
        m.put("cpu", w.cpu());
        m.put("memory", w.memoryGb());
        m.put("nvidia_gpu", request == null ? w.gpus().size() : request.gpus());
        m.put("gpus", w.gpus());
        m.put("pid", w.pid());
        m.put("created_at", time(w.createdAt()));
        m.put("running_at", time(w.startedAt()));
        m.put("finished_at", time(w.finishedAt()));
        m.put("duration", w.startedAt() == null ? null : w.duration().toMillis() / 1000.0);
        m.put("exit_code", w.exitCode());
        m.put("session_id", w.sessionId());
        m.put("script", program == null ? "" : program.script() == null ? "" : program.script());
        m.put("code", program == null ? "" : program.code() == null ? "" : program.code());
        m.put("runs", w.runs());
        m.put("reason", w.reason());
        m.put("notes", w.notes());
        m.put("env", request == null ? Map.of() : new java.util.TreeMap<>(request.env()));
        return m;
    }

    private static String time(Instant t) {
        return t == null ? null : t.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
    }
}
