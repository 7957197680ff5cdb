package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cohort.CohortException;
import io.cohort.QueueProgress;
import io.cohort.Result;
import io.cohort.Snapshot;
import io.cohort.Worker;
import io.cohort.core.Json;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.queue.QueueService;
import io.cohort.core.results.ResultStore;
import io.cohort.core.results.SnapshotStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.spi.JettyHttpServer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The session's HTTP/JSON API, for workers in any language (see docs/control-plane.md). Every
 * request must carry the session's token; a request without it changes nothing and gets 401.
 *
 * <p>Handlers are written against the JDK's {@code com.sun.net.httpserver} API and served by Jetty
 * through its adapter: the JDK's own server hands every request between a selector thread and a
 * worker thread, which halved the queue's throughput (measured in bench/QueueBench).
 */
public final class ControlPlane implements AutoCloseable {
    static {
        // jetty-http-spi registers Jetty as the JVM's HttpServer provider; the session's own server is
        // made directly, so HttpServer.create() in the user's code keeps the JDK's server and its behaviour.
        if (System.getProperty("com.sun.net.httpserver.HttpServerProvider") == null) {
            System.setProperty("com.sun.net.httpserver.HttpServerProvider", "sun.net.httpserver.DefaultHttpServerProvider");
        }
    }

    private static final System.Logger LOG = System.getLogger("io.cohort");

    /** The longest a take may wait for an item before answering empty. */
    static final long MAX_WAIT_MS = 60_000;
    private final HttpServer server;
    private final Server jetty;
    private final byte[] token;
    private final String tokenText;
    private final QueueService queues;
    private final ResultStore results;
    private final SnapshotStore snapshots;
    private final long maxJsonBytes;
    private final long maxSnapshotBytes;
    private final AgentRoutes agents;
    private final SessionRoutes session = new SessionRoutes();

    public ControlPlane(String bindAddress, QueueService queues, ResultStore results, SnapshotStore snapshots,
                        AgentRegistry agents, long maxJsonBytes, long maxSnapshotBytes) {
        this.queues = queues;
        this.agents = new AgentRoutes(agents);
        this.results = results;
        this.snapshots = snapshots;
        this.maxJsonBytes = maxJsonBytes;
        this.maxSnapshotBytes = maxSnapshotBytes;
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        this.tokenText = HexFormat.of().formatHex(random);
        this.token = tokenText.getBytes(StandardCharsets.US_ASCII);
        // Long polls hold a thread each, so the pool is large; idle threads go away.
        QueuedThreadPool threads = new QueuedThreadPool(1024, 4, 30_000);
        threads.setName("cohort-http");
        threads.setDaemon(true);
        this.jetty = new Server(threads);
        jetty.setHandler(new org.eclipse.jetty.server.handler.ContextHandlerCollection());
        // What Jetty refuses before a handler runs (a malformed URI or %-escape, a bad header) gets the JSON error too.
        jetty.setErrorHandler(new JsonErrors());
        this.server = new JettyHttpServer(jetty, false);
        try {
            server.bind(new InetSocketAddress(bindAddress, 0), 1024);
            for (var connector : jetty.getConnectors()) {
                var http = connector.getConnectionFactory(org.eclipse.jetty.server.HttpConnectionFactory.class);
                if (http != null) {
                    http.getHttpConfiguration().setSendServerVersion(false);
                }
            }
            server.createContext("/", this::handle);
            server.start();
        } catch (IOException | RuntimeException e) {
            throw new CohortException("cannot start the control plane on " + bindAddress + ": " + e.getMessage(), e);
        }
        this.url = "http://" + bindAddress + ":" + ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    }

    private final String url;

    /** The base URL, e.g. http://127.0.0.1:41234 */
    public String url() {
        return url;
    }

    /** The session's token (256 random bits, hex): workers get it as COHORT_TOKEN. */
    public String token() {
        return tokenText;
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            if (!authorized(exchange)) {
                refuse(exchange);
                return;
            }
            try {
                Request r = new Request(exchange, maxJsonBytes);
                route(r);
            } catch (HttpError e) {
                error(exchange, e.status, e.getMessage());
            } catch (IllegalArgumentException e) {
                error(exchange, 400, e.getMessage());
            } catch (QueueService.NoSuchItem e) {
                error(exchange, 404, e.getMessage());
            } catch (CohortException e) {
                error(exchange, 409, e.getMessage());
            } catch (IOException e) {
                // The client went away; nothing to answer.
            } catch (RuntimeException e) {
                // The exception's text may hold paths, SQL or data: it goes to the session's log, not to the caller.
                LOG.log(System.Logger.Level.ERROR, "cohort: the control plane failed to answer "
                        + exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath(), e);
                error(exchange, 500, "the session failed to answer this request (an internal error, logged by the"
                        + " session as io.cohort); try again, and report it if it persists");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error(exchange, 503, "the session is closing");
            }
        }
    }

    /**
     * 401 without reading a byte of the body, and the connection closed: a caller without the token
     * cannot hold a thread by trickling a large body.
     */
    private static void refuse(HttpExchange exchange) {
        try {
            exchange.getResponseHeaders().set("Connection", "close");
            json(exchange, 401, Json.write(Map.of("error",
                    "missing or wrong token: send the header 'Authorization: Bearer $COHORT_TOKEN'")));
        } catch (IOException e) {
            // The client went away.
        }
    }

    private boolean authorized(HttpExchange exchange) {
        String h = exchange.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(token, h.substring(7).trim().getBytes(StandardCharsets.US_ASCII));
    }

    private void route(Request r) throws IOException, InterruptedException {
        List<String> p = r.path;
        if (p.size() < 2 || !p.get(0).equals("v1")) {
            throw new HttpError(404, "no such endpoint: " + r.exchange.getRequestURI().getPath() + " (endpoints start with /v1/)");
        }
        switch (p.get(1)) {
            case "queues" -> queueRoute(r, p);
            case "results" -> resultRoute(r, p);
            case "snapshots" -> snapshotRoute(r, p);
            case "agents" -> agents.route(r, p);
            case "heartbeat" -> {
                method(r, "POST");
                queues.heartbeat(r.worker());
                json(r.exchange, 200, "{}");
            }
            case "workers" -> session.workers(r, p);
            case "events" -> session.events(r, p);
            case "session" -> session.session(r, p);
            default -> throw new HttpError(404, "no such endpoint: /v1/" + p.get(1)
                    + " (try queues, results, snapshots, heartbeat, workers, events, session, agents)");
        }
    }

    /**
     * Serves the session API (docs/session-api.md) for this session: its workers, their output and
     * its events. Until then {@code GET /v1/workers} answers an empty list.
     *
     * @param describe          a worker's description as the API writes it
     * @param engineEnvironment the reference's variables for code running in the session itself
     */
    public void serveSession(io.cohort.Session session, SessionEvents events,
                             java.util.function.Function<Worker, Map<String, Object>> describe,
                             Map<String, String> engineEnvironment) {
        this.session.serve(new SessionRoutes.Served(session, events, describe, Map.copyOf(engineEnvironment),
                System.currentTimeMillis()));
    }

    private void queueRoute(Request r, List<String> p) throws IOException, InterruptedException {
        if (p.size() == 2) {
            method(r, "GET");
            json(r.exchange, 200, Json.write(queues.names()));
            return;
        }
        String name = p.get(2);
        String action = p.size() > 3 ? p.get(3) : "";
        if (p.size() > 4) {
            throw new HttpError(404, "no such endpoint: " + r.exchange.getRequestURI().getPath());
        }
        switch (action) {
            case "" -> {
                method(r, "GET");
                json(r.exchange, 200, progressJson(queues.progress(name)));
            }
            case "items" -> {
                method(r, "POST");
                JsonNode body = r.json();
                JsonNode items = body.get("items");
                if (items == null || !items.isArray()) {
                    throw new HttpError(400, "send {\"items\": [value, ...]} (and optionally \"keys\": [key or null, ...])");
                }
                List<String> jsons = new ArrayList<>();
                items.forEach(i -> jsons.add(i.toString()));
                List<String> keys = null;
                JsonNode k = body.get("keys");
                if (k != null) {
                    if (!k.isArray() || k.size() != items.size()) {
                        throw new HttpError(400, "\"keys\" must be a list as long as \"items\" (null for an item without a key)");
                    }
                    keys = new ArrayList<>();
                    for (JsonNode key : k) {
                        keys.add(key.isNull() ? null : key.asText());
                    }
                }
                json(r.exchange, 200, "{\"added\":" + queues.put(name, jsons, keys) + "}");
            }
            case "take" -> {
                method(r, "POST");
                JsonNode body = r.json();
                int max = intField(body, "max", 1, 1, 10_000);
                long wait = longField(body, "wait_ms", 30_000, 0, MAX_WAIT_MS);
                QueueService.Taken t = queues.take(name, r.worker(), max, Duration.ofMillis(wait), ids(body.get("ack"), "ack"));
                StringBuilder s = new StringBuilder("{\"items\":[");
                for (int i = 0; i < t.items().size(); i++) {
                    QueueService.Leased l = t.items().get(i);
                    s.append(i == 0 ? "" : ",").append("{\"id\":").append(l.id()).append(",\"attempt\":").append(l.attempt())
                            .append(",\"value\":").append(l.json()).append('}');
                }
                json(r.exchange, 200, s.append("],\"done\":").append(t.done()).append(",\"lease_ms\":")
                        .append(t.leaseMillis()).append('}').toString());
            }
            case "ack" -> {
                method(r, "POST");
                queues.awaitStored(queues.ack(name, r.worker(), ids(r.json().get("ids"), "ids")));
                json(r.exchange, 200, "{}");
            }
            case "fail" -> {
                method(r, "POST");
                JsonNode body = r.json();
                long id = longField(body, "id", -1, 1, Long.MAX_VALUE);
                JsonNode error = body.get("error");
                queues.fail(name, r.worker(), id, error == null ? "failed (no reason given)" : error.asText());
                json(r.exchange, 200, "{}");
            }
            case "close" -> {
                method(r, "POST");
                queues.close(name);
                json(r.exchange, 200, "{}");
            }
            default -> throw new HttpError(404, "no such queue action '" + action + "' (items, take, ack, fail, close)");
        }
    }

    private void resultRoute(Request r, List<String> p) throws IOException {
        // Any key travels as ?key=...; a simple one may also be the rest of the path (/v1/results/lr=0.1).
        String keyParameter = r.query("key");
        if (p.size() == 2 && keyParameter == null) {
            method(r, "GET");
            String prefix = r.query("prefix");
            List<Result> list = prefix == null ? results.list() : results.withPrefix(prefix);
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                Result x = list.get(i);
                Map<String, Object> meta = new LinkedHashMap<>();
                meta.put("key", x.key());
                meta.put("worker", x.workerId());
                meta.put("item", x.itemId());
                meta.put("stored_at", x.storedAt().toString());
                String m = Json.write(meta);
                s.append(i == 0 ? "" : ",").append(m, 0, m.length() - 1).append(",\"value\":").append(x.json()).append('}');
            }
            json(r.exchange, 200, s.append(']').toString());
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
                json(r.exchange, 200, "{}");
            }
            case "GET" -> json(r.exchange, 200, results.json(key)
                    .orElseThrow(() -> new HttpError(404, "no result under key '" + key + "'")));
            default -> throw new HttpError(405, "results take GET or PUT, got " + r.method);
        }
    }

    private void snapshotRoute(Request r, List<String> p) throws IOException {
        if (p.size() == 2) {
            method(r, "GET");
            List<Map<String, Object>> list = new ArrayList<>();
            for (Snapshot s : snapshots.list()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", s.name());
                m.put("size", s.size());
                m.put("sha256", s.sha256());
                m.put("worker", s.workerId());
                m.put("item", s.itemId());
                m.put("saved_at", s.savedAt().toString());
                list.add(m);
            }
            json(r.exchange, 200, Json.write(list));
            return;
        }
        if (p.size() != 3) {
            throw new HttpError(404, "snapshot names have no '/': " + r.exchange.getRequestURI().getPath());
        }
        String name = p.get(2);
        switch (r.method) {
            case "PUT", "POST" -> {
                try {
                    Snapshot s = snapshots.save(name, r.bodyStream(), maxSnapshotBytes, r.worker(), r.item());
                    json(r.exchange, 200, "{\"size\":" + s.size() + ",\"sha256\":\"" + s.sha256() + "\"}");
                } catch (SnapshotStore.SnapshotTooLarge e) {
                    throw new HttpError(413, e.getMessage());
                }
            }
            case "GET" -> {
                Snapshot s = snapshots.get(name).orElseThrow(() -> new HttpError(404, "no snapshot named '" + name + "'"));
                // Open first: a save of the same name renames a new file into place, and an open file keeps its bytes.
                try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(s.file())) {
                    long size = file.size();
                    r.exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                    r.exchange.sendResponseHeaders(200, size == 0 ? -1 : size);
                    try (OutputStream out = r.exchange.getResponseBody()) {
                        java.nio.channels.Channels.newInputStream(file).transferTo(out);
                    }
                }
            }
            default -> throw new HttpError(405, "snapshots take GET or PUT, got " + r.method);
        }
    }

    static String progressJson(QueueProgress p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queue", p.queue());
        m.put("added", p.added());
        m.put("ready", p.ready());
        m.put("in_flight", p.inFlight());
        m.put("done", p.done());
        m.put("failed", p.failed());
        m.put("closed", p.closed());
        m.put("drained", p.drained());
        m.put("rate_per_second", p.ratePerSecond());
        m.put("eta_seconds", p.eta() == null ? null : p.eta().toSeconds());
        return Json.write(m);
    }

    static void method(Request r, String wanted) {
        if (!r.method.equals(wanted)) {
            throw new HttpError(405, r.exchange.getRequestURI().getPath() + " takes " + wanted + ", got " + r.method);
        }
    }

    private static List<Long> ids(JsonNode node, String field) {
        List<Long> ids = new ArrayList<>();
        if (node == null || node.isNull()) {
            return ids;
        }
        if (!node.isArray()) {
            throw new HttpError(400, "\"" + field + "\" must be a list of item ids");
        }
        for (JsonNode n : node) {
            if (!n.canConvertToLong() || !n.isIntegralNumber()) {
                throw new HttpError(400, "\"" + field + "\" must be a list of item ids (numbers), got " + n);
            }
            ids.add(n.asLong());
        }
        return ids;
    }

    private static int intField(JsonNode body, String field, int fallback, int min, int max) {
        return (int) longField(body, field, fallback, min, max);
    }

    static long longField(JsonNode body, String field, long fallback, long min, long max) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (fallback < min) {
                throw new HttpError(400, "\"" + field + "\" is required");
            }
            return fallback;
        }
        if (!n.isIntegralNumber() || n.asLong() < min || n.asLong() > max) {
            throw new HttpError(400, "\"" + field + "\" must be a whole number from " + min + " to " + max + ", got " + n);
        }
        return n.asLong();
    }

    static void json(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void error(HttpExchange exchange, int status, String message) {
        try {
            // Read what the client sent, so its connection stays usable for the next request.
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (length != null && length.matches("\\d{1,7}") && Long.parseLong(length) <= (1 << 20)) {
                exchange.getRequestBody().readNBytes(Integer.parseInt(length));
            }
            json(exchange, status, Json.write(Map.of("error", message == null ? "unknown error" : message)));
        } catch (IOException e) {
            // The client went away.
        }
    }

    /** Jetty's own refusals (before any handler runs) as {"error": ...} rather than an HTML page. */
    private static final class JsonErrors extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        protected void generateResponse(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                                        int code, String message, Throwable cause, org.eclipse.jetty.util.Callback callback) {
            String text = "the request is malformed (HTTP " + code + (message == null ? "" : ": " + message) + ")";
            if (code == 400) {
                text += "; check the URI's %-escapes (%XX with two hex digits, UTF-8 underneath) and the headers";
            }
            byte[] bytes = Json.write(Map.of("error", text)).getBytes(StandardCharsets.UTF_8);
            response.setStatus(code);
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH, Long.toString(bytes.length));
            response.write(true, java.nio.ByteBuffer.wrap(bytes), callback);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
