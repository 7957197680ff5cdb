package io.cohort.core.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cohort.CohortException;
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
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
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
    private final HttpServer server;
    private final Server jetty;
    private final byte[] token;
    private final String tokenText;
    private final long maxJsonBytes;
    private final SessionRoutes session = new SessionRoutes();
    /** Each resource's routes, by the path's second segment: adding an endpoint touches one route class, this table and the docs. */
    private final Map<String, Route> routes;

    /** The handler of one resource's requests; {@code p} is the path's segments ("v1", resource, ...). */
    @FunctionalInterface
    interface Route {
        void route(Request r, List<String> p) throws IOException, InterruptedException;
    }

    public ControlPlane(String bindAddress, QueueService queues, ResultStore results, SnapshotStore snapshots,
                        AgentRegistry agents, long maxJsonBytes, long maxSnapshotBytes) {
        this.maxJsonBytes = maxJsonBytes;
        QueueRoutes queueRoutes = new QueueRoutes(queues);
        this.routes = Map.of(
                "queues", queueRoutes::route,
                "heartbeat", queueRoutes::heartbeat,
                "results", new ResultRoutes(results)::route,
                "snapshots", new SnapshotRoutes(snapshots, maxSnapshotBytes)::route,
                "agents", new AgentRoutes(agents)::route,
                "workers", session::workers,
                "events", session::events,
                "session", session::session);
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
        Route route = routes.get(p.get(1));
        if (route == null) {
            throw new HttpError(404, "no such endpoint: /v1/" + p.get(1) + " (try " + new java.util.TreeSet<>(routes.keySet()) + ")");
        }
        route.route(r, p);
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
