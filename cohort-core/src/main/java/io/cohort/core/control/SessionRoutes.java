package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import io.cohort.core.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The session API (docs/session-api.md): launch, list, await and stop workers, read their output,
 * follow the session's events, end the session. Every call goes to the same {@link Session} the
 * Java API uses; this class only turns JSON into its arguments and its answers into JSON.
 */
final class SessionRoutes {
    static final long MAX_OUTPUT_WAIT_MS = 60_000;
    private static final long KEEP_ALIVE_MS = 15_000;
    static final Set<String> LAUNCH_FIELDS = Set.of("n", "cpu", "memory", "nvidia_gpu", "kernel", "script", "code", "env",
            "service", "group", "role");
    private static final Set<String> AWAIT_FIELDS = Set.of("ids", "wait_for_completion", "timeout_seconds");

    /** What the session hands the control plane to serve it. */
    record Served(Session session, SessionEvents events, java.util.function.Function<Worker, Map<String, Object>> describe,
                  Map<String, String> engineEnvironment, long startedAtMillis) {
    }

    /**
     * The most session-API requests that wait at once (awaits, output followed with wait_ms, event
     * streams): each holds a thread, so they are bounded, and the workers' own requests (takes,
     * heartbeats, results) always find one.
     */
    static final int MAX_WAITING = 256;
    private final java.util.concurrent.Semaphore waiting = new java.util.concurrent.Semaphore(MAX_WAITING);
    private volatile Served served;

    /** The session served, or 503 when none is yet. */
    Served servedOr503() {
        Served s = served;
        if (s == null) {
            throw new HttpError(503, "this control plane serves no session yet");
        }
        return s;
    }

    /** Runs a waiting request within {@link #MAX_WAITING}, or refuses it with 503. */
    void waiting(Waiting body) throws IOException, InterruptedException {
        if (!waiting.tryAcquire()) {
            throw new HttpError(503, "the session already serves " + MAX_WAITING + " waiting requests (awaits, followed"
                    + " output, event streams); close some of them, or try again later");
        }
        try {
            body.run();
        } finally {
            waiting.release();
        }
    }

    @FunctionalInterface
    interface Waiting {
        void run() throws IOException, InterruptedException;
    }

    void serve(Served served) {
        this.served = served;
    }

    /** The session being served, or null before {@link #serve}. */
    Served served() {
        return served;
    }

    /** {@code /v1/workers...} */
    void workers(Request r, List<String> p) throws IOException, InterruptedException {
        Served s = served;
        if (s == null) {
            if (p.size() == 2 && r.method.equals("GET")) {
                r.answer(200, List.of());
                return;
            }
            throw new HttpError(503, "this control plane serves no session yet");
        }
        if (p.size() == 2) {
            switch (r.method) {
                case "GET" -> answer(r, s, 200, describe(s, s.session().list()));
                case "POST" -> launch(r, s);
                default -> throw new HttpError(405, "/v1/workers takes GET (list) or POST (launch), got " + r.method);
            }
            return;
        }
        String what = p.get(2);
        if (p.size() == 3 && what.equals("await")) {
            r.expect("POST");
            waiting(() -> await(r, s));
        } else if (p.size() == 3 && what.equals("stop")) {
            r.expect("POST");
            JsonNode body = r.json();
            known(body, Set.of("ids"));
            List<String> ids = ids(s, body.get("ids"));
            answer(r, s, 200, describe(s, s.session().stop(ids)));
        } else if (p.size() == 3) {
            r.expect("GET");
            answer(r, s, 200, s.describe().apply(worker(s, what)));
        } else if (p.size() == 4 && p.get(3).equals("output")) {
            r.expect("GET");
            output(r, s, worker(s, what).id());
        } else {
            throw new HttpError(404, "no such endpoint: " + r.rawPath()
                    + " (see docs/session-api.md: /v1/workers, /v1/workers/ID, /v1/workers/ID/output, /v1/workers/await, /v1/workers/stop)");
        }
    }

    /** {@code /v1/session} and {@code /v1/session/close} */
    void session(Request r, List<String> p) throws IOException {
        Served s = served;
        if (s == null) {
            throw new HttpError(503, "this control plane serves no session yet");
        }
        if (p.size() == 2) {
            r.expect("GET");
            Session session = s.session();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", session.id());
            m.put("url", session.controlPlaneUrl());
            m.put("pid", ProcessHandle.current().pid());
            m.put("directory", session.directory().toString());
            m.put("working_directory", session.workingDirectory().toString());
            m.put("master_ip", session.masterAddress());
            m.put("backend", session.options().backend());
            m.put("started_at", java.time.Instant.ofEpochMilli(s.startedAtMillis()).toString());
            m.put("engine_env", s.engineEnvironment());
            answer(r, s, 200, m);
        } else if (p.size() == 3 && p.get(2).equals("close")) {
            r.expect("POST");
            answer(r, s, 200, Map.of());
            // Not on this thread: closing stops the control plane that is answering.
            Thread closer = new Thread(s.session()::close, "cohort-close-" + s.session().id());
            closer.start();
        } else {
            throw new HttpError(404, "no such endpoint: " + r.rawPath() + " (GET /v1/session, POST /v1/session/close)");
        }
    }

    private void launch(Request r, Served s) throws IOException {
        JsonNode body = r.json();
        if (!body.isObject()) {
            throw new HttpError(400, "send the launch as a JSON object: {\"n\": 2, \"cpu\": 0.5, \"memory\": 1, \"code\": \"...\"}");
        }
        known(body, LAUNCH_FIELDS);
        LaunchRequest request = launchRequest(body);
        String group = text(body, "group");
        if (group.isBlank()) {
            answer(r, s, 200, describe(s, s.session().launch(request)));
            return;
        }
        String role = text(body, "role");
        io.cohort.WorkerGroup g = launchGroup(s, group, List.of(role(role.isBlank() ? "worker" : role, request)));
        answer(r, s, 200, describe(s, g.workers()));
    }

    /** Launches a group, turning a refusal of its name or roles into a 400. */
    static io.cohort.WorkerGroup launchGroup(Served s, String name, List<io.cohort.GroupRole> roles) {
        try {
            return s.session().launchGroup(name, roles);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, e.getMessage());
        }
    }

    static io.cohort.GroupRole role(String name, LaunchRequest request) {
        try {
            return io.cohort.GroupRole.of(name, request);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "\"role\": " + e.getMessage());
        }
    }

    /** A launch's fields (docs/session-api.md) as a request; every refusal names the field. */
    static LaunchRequest launchRequest(JsonNode body) {
        double n = number(body, "n", null, "a whole number of workers, 1 or more");
        if (n != Math.rint(n) || n < 1 || n > 100_000) {
            throw new HttpError(400, "\"n\" (how many workers) must be a whole number from 1 to 100000, got " + body.get("n"));
        }
        double cpu = number(body, "cpu", null, "CPU cores per worker, more than 0 (fractions such as 0.2 are fine)");
        double memory = number(body, "memory", null, "gigabytes of memory per worker, more than 0 (fractions such as 0.5 are fine)");
        double gpus = number(body, "nvidia_gpu", 0.0, "whole GPUs per worker, 0 or more");
        if (gpus != Math.rint(gpus) || gpus < 0) {
            throw new HttpError(400, "\"nvidia_gpu\" (GPUs per worker) must be a whole number, 0 or more, got " + body.get("nvidia_gpu"));
        }
        String script = text(body, "script");
        String code = text(body, "code");
        String kernelName = text(body, "kernel");
        Program program;
        try {
            if (!script.isBlank()) {
                program = kernelName.isBlank() ? Program.script(script.strip()) : Program.script(Kernel.of(kernelName), script.strip());
            } else if (!code.isBlank()) {
                program = Program.code(kernelName.isBlank() ? Kernel.PYTHON3 : Kernel.of(kernelName), code);
            } else {
                throw new HttpError(400, "give \"script\" (a file to run) or \"code\" (source to run); both are empty");
            }
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, e.getMessage());
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode e = body.get("env");
        if (e != null && !e.isNull()) {
            if (!e.isObject()) {
                throw new HttpError(400, "\"env\" must be an object of names to strings, e.g. {\"MODE\": \"fast\"}, got " + e);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> v = it.next();
                if (!v.getValue().isValueNode() || v.getValue().isNull()) {
                    throw new HttpError(400, "\"env\" value of " + v.getKey() + " must be a string, number or boolean, got " + v.getValue());
                }
                env.put(v.getKey(), v.getValue().asText());
            }
        }
        LaunchRequest request;
        try {
            request = new LaunchRequest((int) n, cpu, memory, (int) gpus, program, env);
        } catch (IllegalArgumentException x) {
            throw new HttpError(400, x.getMessage());
        }
        return service(body.get("service"), request);
    }

    /** "service": {"port": P} | {"port": P, "path": "/health"} | {"line": "regex"}, or absent. */
    private static LaunchRequest service(JsonNode n, LaunchRequest request) {
        if (n == null || n.isNull()) {
            return request;
        }
        String how = "\"service\" is {\"port\": 8786}, {\"port\": 8080, \"path\": \"/health\"} or {\"line\": \"regex\"}";
        if (!n.isObject()) {
            throw new HttpError(400, how + ", got " + n);
        }
        known(n, Set.of("port", "path", "line"));
        try {
            if (n.hasNonNull("line")) {
                return request.asService(io.cohort.Readiness.line(text(n, "line")));
            }
            if (!n.hasNonNull("port") || !n.get("port").canConvertToInt()) {
                throw new HttpError(400, how + ", got " + n);
            }
            int port = n.get("port").asInt();
            return request.asService(n.hasNonNull("path") ? io.cohort.Readiness.http(port, text(n, "path"))
                    : io.cohort.Readiness.port(port));
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "\"service\": " + e.getMessage());
        }
    }

    private void await(Request r, Served s) throws IOException {
        JsonNode body = r.json();
        known(body, AWAIT_FIELDS);
        await(r, s, body, ids(s, body.get("ids")));
    }

    /** Awaits {@code ids} as the body says (wait_for_completion, timeout_seconds) and answers the result. */
    static void await(Request r, Served s, JsonNode body, List<String> ids) throws IOException {
        boolean completion = bool(body, "wait_for_completion", true);
        double timeout = number(body, "timeout_seconds", 60.0, "seconds, 0 for no limit");
        if (timeout < 0 || Double.isInfinite(timeout)) {
            throw new HttpError(400, "\"timeout_seconds\" must be 0 (no limit) or more, got " + body.get("timeout_seconds"));
        }
        // Beyond a century is no limit, as 0 is (a Duration of 1e300 seconds cannot be made).
        Duration limit = timeout > 3.0e9 ? Duration.ZERO : Duration.ofMillis((long) Math.ceil(timeout * 1000));
        AwaitResult result = s.session().await(ids, completion, limit);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workers", describe(s, result.workers()));
        m.put("failures", describe(s, result.failures()));
        answer(r, s, 200, m);
    }

    private void output(Request r, Served s, String id) throws IOException, InterruptedException {
        long offset = queryLong(r, "offset", 0, Long.MAX_VALUE);
        long wait = queryLong(r, "wait_ms", 0, MAX_OUTPUT_WAIT_MS);
        // tail=N: at most the last N lines (from offset on); "first" says which line comes first.
        long tail = queryLong(r, "tail", Long.MAX_VALUE, Long.MAX_VALUE);
        if (wait > 0) {
            waiting(() -> s.events().awaitLines(id, offset, wait));
        }
        boolean ended = s.session().get(id).status().isFinal();
        List<OutputLine> all = s.session().output(id);
        List<Map<String, Object>> lines = new ArrayList<>();
        long first = Math.max(offset, all.size() - tail);
        for (long i = first; i < all.size(); i++) {
            OutputLine l = all.get((int) i);
            lines.add(Map.of("stream", l.stream() == OutputLine.Stream.STDERR ? "err" : "out", "text", l.text()));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lines", lines);
        if (tail != Long.MAX_VALUE) {
            m.put("first", first);
        }
        m.put("next", Math.max(offset, all.size()));
        m.put("ended", ended);
        answer(r, s, 200, m);
    }

    /** {@code GET /v1/events}: server-sent events until the client leaves or the session ends. */
    void events(Request r, List<String> p) throws IOException, InterruptedException {
        Served s = served;
        if (s == null) {
            throw new HttpError(503, "this control plane serves no session yet");
        }
        if (p.size() != 2) {
            throw new HttpError(404, "no such endpoint: " + r.rawPath() + " (GET /v1/events)");
        }
        r.expect("GET");
        String last = r.header("Last-Event-ID");
        String after = last != null && !last.isBlank() ? last.trim() : r.query("after");
        long cursor;
        try {
            cursor = after == null ? s.events().lastId() : Long.parseLong(after);
        } catch (NumberFormatException e) {
            throw new HttpError(400, "after / Last-Event-ID must be an event id (a number), got '" + after + "'");
        }
        Set<String> only = new LinkedHashSet<>();
        for (String w : r.queries("worker")) {
            for (String one : w.split(",")) {
                if (!one.isBlank()) {
                    only.add(worker(s, one.strip()).id());
                }
            }
        }
        Predicate<SessionEvents.Event> wanted = e -> only.isEmpty() || e.worker() == null || only.contains(e.worker());
        long from = cursor;
        String group = r.query("group");
        if (group != null && !group.equals("lines")) {
            throw new HttpError(400, "group takes one value, lines (output lines sent together as one event), got '" + group + "'");
        }
        waiting(() -> stream(r, s, from, wanted, group != null));
    }

    private void stream(Request r, Served s, long from, Predicate<SessionEvents.Event> wanted, boolean grouped)
            throws IOException, InterruptedException {
        long cursor = from;
        r.setHeader("Cache-Control", "no-store");
        try (OutputStream out = r.stream(200, "text/event-stream; charset=utf-8", -1)) {
            out.write((": session " + s.session().id() + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (!s.events().ended(cursor)) {
                List<SessionEvents.Event> batch = s.events().after(cursor, wanted, KEEP_ALIVE_MS);
                // group=lines (the dashboard): a client more than BEHIND_LIMIT events behind is brought back to
                // the newest lines; the output lines it is spared are counted in a "skipped" event, and every
                // other event (workers, queues) still comes.
                long newest = s.events().lastId();
                long keepFrom = grouped && newest - cursor > BEHIND_LIMIT ? newest - BEHIND_KEEP : 0;
                Grouped text = new Grouped();
                for (SessionEvents.Event e : batch) {
                    cursor = Math.max(cursor, e.id());
                    if (grouped && e.type().equals("output")) {
                        if (e.id() <= keepFrom) {
                            text.skip(e.id());
                        } else {
                            text.line(e.id(), e.data());
                        }
                    } else if (!e.type().equals("skip")) {
                        text.event(e.id(), e.type(), e.data());
                    }
                }
                text.flush();
                if (batch.isEmpty()) {
                    text.append(": keep-alive\n\n");
                }
                if (!text.isEmpty()) {
                    out.write(text.toString().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        }
    }

    /** How far behind the newest event a dashboard's stream may fall before its older lines are skipped. */
    static final long BEHIND_LIMIT = 10_000;
    /** How many of the newest events a dashboard brought back is sent. */
    static final long BEHIND_KEEP = 2_000;

    /**
     * The text of one write of an event stream: events as they are, and with group=lines, runs of
     * output lines as one "lines" event and runs of skipped lines as one "skipped" event, in order.
     */
    private static final class Grouped {
        private final StringBuilder text = new StringBuilder();
        private final StringBuilder lines = new StringBuilder();
        private long lastLine;
        private long skipped;
        private long lastSkipped;

        void line(long id, String data) {
            flushSkipped();
            lines.append(lines.isEmpty() ? "{\"lines\":[" : ",").append(data);
            lastLine = id;
        }

        void skip(long id) {
            flushLines();
            skipped++;
            lastSkipped = id;
        }

        void event(long id, String type, String data) {
            flush();
            text.append("id: ").append(id).append("\nevent: ").append(type).append("\ndata: ").append(data).append("\n\n");
        }

        void flush() {
            flushLines();
            flushSkipped();
        }

        private void flushLines() {
            if (!lines.isEmpty()) {
                text.append("id: ").append(lastLine).append("\nevent: lines\ndata: ").append(lines).append("]}\n\n");
                lines.setLength(0);
            }
        }

        private void flushSkipped() {
            if (skipped > 0) {
                text.append("id: ").append(lastSkipped).append("\nevent: skipped\ndata: {\"lines\":").append(skipped).append("}\n\n");
                skipped = 0;
            }
        }

        boolean isEmpty() {
            return text.isEmpty();
        }

        void append(String s) {
            text.append(s);
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    static void answer(Request r, Served s, int status, Object value) throws IOException {
        r.setHeader("X-Cohort-Event", Long.toString(s.events().lastId()));
        r.answer(status, value);
    }

    static List<Map<String, Object>> describe(Served s, List<Worker> workers) {
        return workers.stream().map(s.describe()).toList();
    }

    private static Worker worker(Served s, String id) {
        try {
            return s.session().get(id);
        } catch (CohortException e) {
            throw new HttpError(404, e.getMessage());
        }
    }

    /** Ids from a list of ids or of worker descriptions (objects with "id"), or one of either; none = all. */
    private static List<String> ids(Served s, JsonNode node) {
        List<String> ids = new ArrayList<>();
        if (node == null || node.isNull()) {
            return ids;
        }
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else {
            items.add(node);
        }
        for (JsonNode n : items) {
            JsonNode id = n.isObject() ? n.get("id") : n;
            if (id == null || !id.isTextual() || id.asText().isBlank()) {
                throw new HttpError(400, "\"ids\" must list worker ids (\"w1\") or worker descriptions with an \"id\", got " + n);
            }
            ids.add(worker(s, id.asText()).id());
        }
        return ids;
    }

    static void known(JsonNode body, Set<String> fields) {
        if (body == null || !body.isObject()) {
            return;
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw new HttpError(400, "unknown field \"" + f + "\"; the fields are " + new java.util.TreeSet<>(fields));
            }
        }
    }

    /** A number, or a string holding one (the reference's clients pass "0.5" read from the environment). */
    static double number(JsonNode body, String field, Double fallback, String what) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull() || (n.isTextual() && n.asText().isBlank())) {
            if (fallback == null) {
                throw new HttpError(400, "\"" + field + "\" is required: " + what);
            }
            return fallback;
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isTextual()) {
            try {
                double d = Double.parseDouble(n.asText().strip());
                if (!Double.isNaN(d)) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // below
            }
        }
        throw new HttpError(400, "\"" + field + "\" must be a number (" + what + "), got " + n);
    }

    static boolean bool(JsonNode body, String field, boolean fallback) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isTextual() && Set.of("true", "false").contains(n.asText().strip().toLowerCase(java.util.Locale.ROOT))) {
            return Boolean.parseBoolean(n.asText().strip());
        }
        throw new HttpError(400, "\"" + field + "\" must be true or false, got " + n);
    }

    static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return "";
        }
        if (!n.isTextual()) {
            throw new HttpError(400, "\"" + field + "\" must be a string, got " + n);
        }
        return n.asText();
    }

    static long queryLong(Request r, String name, long fallback, long max) {
        String v = r.query(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n >= 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new HttpError(400, name + " must be a whole number from 0 to " + max + ", got '" + v + "'");
    }
}
