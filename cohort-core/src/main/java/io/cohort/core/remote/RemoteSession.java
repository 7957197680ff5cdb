package io.cohort.core.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.Kernel;
import io.cohort.GroupRole;
import io.cohort.LaunchRequest;
import io.cohort.Readiness;
import io.cohort.Rendezvous;
import io.cohort.WorkerGroup;
import io.cohort.OutputLine;
import io.cohort.QueueOptions;
import io.cohort.Results;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Snapshots;
import io.cohort.Status;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import io.cohort.core.Json;
import io.cohort.core.WorkerEvent;
import io.cohort.core.WorkerIds;
import io.cohort.core.output.ConsolePrinter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A session that runs elsewhere (in {@code cohort serve}, or another JVM), driven over its session
 * API (docs/session-api.md). Launch, list, get, await, stop and output work as on a session of this
 * JVM. {@link #close()} detaches: the session and its workers go on, and end with their own session.
 * Queues, results and snapshots are not offered here: use {@code CohortClient} (cohort-worker) with
 * the same URL and token.
 */
public final class RemoteSession implements Session {
    private final String url;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final JsonNode about;
    private final SessionOptions options;
    private final ConsolePrinter console;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile boolean detached;
    private volatile Thread follower;

    /** Attaches to the session whose connection file ({@code connection.json}, written by cohort serve) is given. */
    public static RemoteSession attach(Path connectionFile, java.io.PrintStream console) {
        Path file = Files.isDirectory(connectionFile) ? connectionFile.resolve("connection.json") : connectionFile;
        JsonNode c;
        try {
            c = Json.MAPPER.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new CohortException("cannot read the session's connection file " + file + ": " + e.getMessage()
                    + ". It is written by 'cohort serve' into its session directory; is that session still running?", e);
        }
        if (c == null || !c.hasNonNull("url") || !c.hasNonNull("token")) {
            throw new CohortException(file + " is not a session's connection file: it has no \"url\" and \"token\"");
        }
        return new RemoteSession(c.get("url").asText(), c.get("token").asText(), console);
    }

    /** @param console where to print the workers' output and status lines as they come, or null */
    public RemoteSession(String url, String token, java.io.PrintStream console) {
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.token = token;
        // The first request may be the one that starts the session's HTTP server (it starts at its
        // first connection): on a busy machine that takes seconds, so this waits longer than later calls.
        this.about = call("GET", "/v1/session", null, Duration.ofSeconds(30));
        this.options = SessionOptions.builder().console(console).home(Path.of(about.get("directory").asText()).getParent())
                .workingDirectory(Path.of(about.get("working_directory").asText()))
                .backend(about.get("backend").asText()).build();
        this.console = console == null ? null : new ConsolePrinter(console, id());
        Thread t = new Thread(this::follow, "cohort-attached-" + id());
        t.setDaemon(true);
        t.start();
        this.follower = t;
    }

    @Override
    public String id() {
        return about.get("id").asText();
    }

    @Override
    public Path directory() {
        return Path.of(about.get("directory").asText());
    }

    @Override
    public Path workingDirectory() {
        return Path.of(about.get("working_directory").asText());
    }

    @Override
    public String masterAddress() {
        return about.get("master_ip").asText();
    }

    @Override
    public SessionOptions options() {
        return options;
    }

    @Override
    public List<Worker> launch(LaunchRequest request) {
        return workers(call("POST", "/v1/workers", launchBody(request), null));
    }

    /** A launch's fields as the session API takes them. */
    private static Map<String, Object> launchBody(LaunchRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("n", request.n());
        body.put("cpu", request.cpu());
        body.put("memory", request.memoryGb());
        body.put("nvidia_gpu", request.gpus());
        body.put("kernel", request.program().kernel().label());
        if (request.program().script() != null) {
            body.put("script", request.program().script());
        } else {
            body.put("code", request.program().code());
        }
        body.put("env", request.env());
        Readiness service = request.service();
        if (service != null) {
            Map<String, Object> s = new LinkedHashMap<>();
            switch (service.kind()) {
                case PORT -> s.put("port", service.port());
                case HTTP -> {
                    s.put("port", service.port());
                    s.put("path", service.path());
                }
                case LINE -> s.put("line", service.pattern());
            }
            body.put("service", s);
        }
        return body;
    }

    @Override
    public WorkerGroup launchGroup(String name, List<GroupRole> roles) {
        List<Map<String, Object>> parts = new ArrayList<>();
        for (GroupRole r : roles) {
            Map<String, Object> part = new LinkedHashMap<>(launchBody(r.launch()));
            part.put("role", r.role());
            parts.add(part);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("roles", parts);
        call("POST", "/v1/groups", body, null);
        return new RemoteGroup(name);
    }

    @Override
    public io.cohort.ElasticPool pool(String queue, LaunchRequest worker, io.cohort.PoolOptions options) {
        throw notHere("elastic pools");
    }

    @Override
    public WorkerGroup group(String name) {
        call("GET", "/v1/groups/" + name, null, Duration.ofSeconds(30));
        return new RemoteGroup(name);
    }

    @Override
    public List<WorkerGroup> groups() {
        List<WorkerGroup> out = new ArrayList<>();
        call("GET", "/v1/groups", null, Duration.ofSeconds(30)).forEach(g -> out.add(new RemoteGroup(g.get("name").asText())));
        return out;
    }

    /** A group of the attached session, through its API. */
    private final class RemoteGroup implements WorkerGroup {
        private final String name;

        RemoteGroup(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<Worker> workers() {
            return RemoteSession.workers(call("GET", "/v1/groups/" + name, null, Duration.ofSeconds(30)).get("workers"));
        }

        @Override
        public AwaitResult await(boolean waitForCompletion, Duration timeout) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("wait_for_completion", waitForCompletion);
            body.put("timeout_seconds", timeout.toMillis() / 1000.0);
            JsonNode r = call("POST", "/v1/groups/" + name + "/await", body, null);
            return new AwaitResult(RemoteSession.workers(r.get("workers")), RemoteSession.workers(r.get("failures")));
        }

        @Override
        public List<Worker> stop() {
            return RemoteSession.workers(call("POST", "/v1/groups/" + name + "/stop", Map.of(), null));
        }

        @Override
        public Rendezvous awaitReady(Duration timeout) {
            long deadline = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline == Long.MAX_VALUE ? 60_000 : Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                JsonNode r = call("POST", "/v1/groups/" + name + "/rendezvous", Map.of("wait_ms", Math.min(60_000, left)), null);
                if (r.path("ready").asBoolean()) {
                    return rendezvous(r);
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new CohortException("group '" + name + "' is not ready after " + timeout.toMillis()
                            + " ms; still waiting for " + r.path("waiting_for"));
                }
            }
        }

        @Override
        public java.util.concurrent.CompletableFuture<Rendezvous> ready() {
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> awaitReady(Duration.ZERO));
        }
    }

    private static Rendezvous rendezvous(JsonNode r) {
        List<Rendezvous.Member> members = new ArrayList<>();
        r.get("members").forEach(m -> members.add(new Rendezvous.Member(m.get("rank").asInt(), m.get("role").asText(),
                m.get("role_index").asInt(), m.get("local_rank").asInt(), m.get("worker").asText(), m.get("address").asText(),
                m.get("port").asInt())));
        return new Rendezvous(r.get("group").asText(), r.get("size").asInt(), r.get("master_addr").asText(),
                r.get("master_port").asInt(), members, Path.of(r.get("directory").asText()));
    }

    @Override
    public List<Worker> list() {
        return workers(call("GET", "/v1/workers", null, Duration.ofSeconds(30)));
    }

    @Override
    public Worker get(Object workerOrId) {
        return worker(call("GET", "/v1/workers/" + WorkerIds.idOf(workerOrId), null, Duration.ofSeconds(30)));
    }

    @Override
    public AwaitResult await(Collection<?> workersOrIds, boolean waitForCompletion, Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be zero (no limit) or more, got " + timeout);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ids", ids(workersOrIds));
        body.put("wait_for_completion", waitForCompletion);
        body.put("timeout_seconds", timeout.toMillis() / 1000.0);
        JsonNode r = call("POST", "/v1/workers/await", body, null);
        return new AwaitResult(workers(r.get("workers")), workers(r.get("failures")));
    }

    @Override
    public List<Worker> stop(Collection<?> workersOrIds) {
        return workers(call("POST", "/v1/workers/stop", Map.of("ids", ids(workersOrIds)), null));
    }

    @Override
    public List<OutputLine> output(Object workerOrId) {
        return output(workerOrId, 0, 0).lines();
    }

    /**
     * A worker's output from line {@code offset} on, waiting up to {@code waitMillis} (at most 60 s)
     * for a line when there is none yet.
     *
     * @param lines the lines from {@code offset}
     * @param next  the offset to ask for next
     * @param ended true when the worker has ended and every line is in
     */
    public record Chunk(List<OutputLine> lines, long next, boolean ended) {
    }

    /** See {@link Chunk}. */
    public Chunk output(Object workerOrId, long offset, long waitMillis) {
        String id = WorkerIds.idOf(workerOrId);
        JsonNode r = call("GET", "/v1/workers/" + id + "/output?offset=" + offset + "&wait_ms=" + waitMillis, null,
                Duration.ofMillis(waitMillis + 30_000));
        List<OutputLine> lines = new ArrayList<>();
        for (JsonNode l : r.get("lines")) {
            lines.add(new OutputLine(id, "err".equals(l.get("stream").asText()) ? OutputLine.Stream.STDERR : OutputLine.Stream.STDOUT,
                    l.get("text").asText()));
        }
        return new Chunk(lines, r.get("next").asLong(), r.get("ended").asBoolean());
    }

    @Override
    public Path outputFile(Object workerOrId) {
        return directory().resolve("workers").resolve(WorkerIds.idOf(workerOrId)).resolve("output.log");
    }

    @Override
    public WorkQueue queue(String name) {
        throw notHere("queues");
    }

    @Override
    public WorkQueue queue(String name, QueueOptions options) {
        throw notHere("queues");
    }

    @Override
    public List<WorkQueue> queues() {
        throw notHere("queues");
    }

    @Override
    public List<LaunchRequest> interruptedLaunches() {
        return List.of();
    }

    @Override
    public Results results() {
        throw notHere("results");
    }

    @Override
    public Snapshots snapshots() {
        throw notHere("snapshots");
    }

    @Override
    public String controlPlaneUrl() {
        return url;
    }

    @Override
    public String controlPlaneToken() {
        return token;
    }

    @Override
    public boolean awaitClosed(Duration timeout) throws InterruptedException {
        if (timeout.isZero()) {
            ended.await();
            return true;
        }
        return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Detaches: the session and its workers go on. To end the session, use {@link #closeSession()}. */
    @Override
    public void close() {
        detached = true;
        Thread t = follower;
        if (t != null) {
            t.interrupt();
        }
        if (console != null) {
            console.close();
        }
    }

    /** Ends the session itself (POST /v1/session/close): it stops its workers and ends. */
    public void closeSession() {
        call("POST", "/v1/session/close", Map.of(), Duration.ofSeconds(30));
        close();
    }

    private static CohortException notHere(String what) {
        return new CohortException(what + " are not offered on an attached session: use io.cohort.worker.CohortClient"
                + " (new CohortClient(session.controlPlaneUrl(), session.controlPlaneToken(), \"me\")) or the control plane's"
                + " HTTP API (docs/control-plane.md)");
    }

    /** Follows the session's events: prints them on the console, and notices the session's end. */
    private void follow() {
        long last = -1;
        try {
            while (!detached) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/events" + (last < 0 ? "" : "?after=" + last)))
                        .header("Authorization", "Bearer " + token);
                HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() != 200) {
                    break;
                }
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                    String type = null;
                    for (String line = in.readLine(); line != null && !detached; line = in.readLine()) {
                        if (line.startsWith("id: ")) {
                            last = Long.parseLong(line.substring(4));
                        } else if (line.startsWith("event: ")) {
                            type = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            if ("closed".equals(type)) {
                                return;
                            }
                            show(type, Json.MAPPER.readTree(line.substring(6)));
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // The session is gone (its server closed the connection).
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ended.countDown();
        }
    }

    private void show(String type, JsonNode data) {
        if (console == null) {
            return;
        }
        if ("output".equals(type)) {
            console.accept(new WorkerEvent.Output(new OutputLine(data.get("worker").asText(),
                    "err".equals(data.get("stream").asText()) ? OutputLine.Stream.STDERR : OutputLine.Stream.STDOUT,
                    data.get("text").asText())));
        } else if ("worker".equals(type)) {
            console.accept(new WorkerEvent.Changed(worker(data)));
        }
    }

    private static List<String> ids(Collection<?> workersOrIds) {
        List<String> ids = new ArrayList<>();
        if (workersOrIds != null) {
            for (Object o : workersOrIds) {
                ids.add(WorkerIds.idOf(o));
            }
        }
        return ids;
    }

    private static List<Worker> workers(JsonNode array) {
        List<Worker> out = new ArrayList<>();
        array.forEach(w -> out.add(worker(w)));
        return out;
    }

    /** A worker's description (docs/session-api.md) as the Java API's record. */
    static Worker worker(JsonNode w) {
        List<Integer> gpus = new ArrayList<>();
        w.path("gpus").forEach(g -> gpus.add(g.asInt()));
        List<String> notes = new ArrayList<>();
        w.path("notes").forEach(n -> notes.add(n.asText()));
        String ip = text(w, "ip_address");
        String app = text(w, "app_url");
        return new Worker(w.get("id").asText(), text(w, "session_id"), Status.valueOf(w.get("status").asText().toUpperCase(java.util.Locale.ROOT)),
                Kernel.of(w.get("kernel").asText()), text(w, "runs"), w.path("cpu").asDouble(), w.path("memory").asDouble(), gpus,
                "unknown".equals(ip) ? null : ip, app == null || app.isEmpty() ? null : app,
                w.hasNonNull("pid") ? w.get("pid").asLong() : null, instant(w, "created_at"), instant(w, "running_at"),
                instant(w, "finished_at"), w.hasNonNull("exit_code") ? w.get("exit_code").asInt() : null, text(w, "reason"), notes,
                text(w, "group"), text(w, "role"), w.path("rank").asInt(), w.hasNonNull("ready") ? w.get("ready").asBoolean() : null);
    }

    private static String text(JsonNode w, String field) {
        return w.hasNonNull(field) ? w.get(field).asText() : null;
    }

    private static Instant instant(JsonNode w, String field) {
        return w.hasNonNull(field) ? Instant.parse(w.get(field).asText()) : null;
    }

    private JsonNode call(String method, String path, Object body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(Json.write(body)));
        if (timeout != null) {
            b.timeout(timeout);
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CohortException("the session at " + url + " does not answer (" + e.getMessage() + "); it may have ended."
                    + " 'cohort ps' lists the running sessions", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException("interrupted while calling the session at " + url, e);
        }
        JsonNode answer;
        try {
            answer = r.body().isEmpty() ? null : Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new CohortException("the session at " + url + " answered " + r.statusCode() + " with something that is not JSON", e);
        }
        if (r.statusCode() == 400) {
            throw new IllegalArgumentException(answer.path("error").asText());
        }
        if (r.statusCode() != 200) {
            throw new CohortException(answer == null ? "the session answered " + r.statusCode() : answer.path("error").asText());
        }
        return answer;
    }
}
