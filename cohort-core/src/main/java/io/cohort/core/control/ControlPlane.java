package io.cohort.core.control;

import io.cohort.CohortException;
import io.cohort.Worker;
import io.cohort.core.Json;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.queue.QueueService;
import io.cohort.core.results.ResultStore;
import io.cohort.core.results.SnapshotStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The session's HTTP/JSON API, for workers in any language (see docs/control-plane.md). Every
 * request must carry the session's token, or with worker security on a worker's own credential
 * ({@link WorkerSecurity}, checked by {@link WorkerAccess}: 403 beyond what that worker may do); a
 * request without either changes nothing and gets 401. With worker security on, workers reach it over
 * TLS on the master address, with a certificate made here and pinned by them ({@link #tlsPin()}).
 *
 * <p>Served by Jetty's own handler API. A route answers at once, streams, or answers later from a
 * future ({@link Request#answerLater}): waiting takes and agent polls hold no thread while they wait,
 * so ten thousand of them cost memory, not threads, and a heartbeat never queues behind them. The
 * session API's own waits (await, following output, event streams) hold a thread each and are
 * bounded ({@link SessionRoutes#MAX_WAITING}).
 */
public final class ControlPlane implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.cohort");
    /**
     * How long a connection may stay silent: longer than the longest wait a request may ask for (a
     * take's 60 s), and than the event stream's keep-alive.
     */
    static final long IDLE_TIMEOUT_MS = QueueRoutes.MAX_WAIT_MS + 30_000;
    private static final String UNAUTHORIZED = error(
            "missing or wrong token: send the header 'Authorization: Bearer $COHORT_TOKEN'");
    private static final String UNAUTHORIZED_BROWSER = error(
            "not signed in: open the dashboard URL the session printed when it opened (it ends in /ui/?token=...),"
                    + " or send the header 'Authorization: Bearer $COHORT_TOKEN'");
    private static final String FORBIDDEN = error(
            "a change from the browser must carry the header " + BrowserCredential.CSRF_HEADER
                    + " with the value of the dashboard page's cohort-csrf meta tag; reload the dashboard");
    /** Methods that change nothing: a browser's cookie is enough for them; any other needs the CSRF value too. */
    private static final java.util.Set<String> SAFE_METHODS = java.util.Set.of("GET", "HEAD");

    /** Jetty, once the first connection came ({@link #startOnFirstConnection}); null until then. */
    private volatile Server jetty;
    /** The bound listening socket: its port is the control plane's from the start; Jetty takes it over. */
    private final java.nio.channels.ServerSocketChannel listening;
    private final String bindAddress;
    /** Where plain HTTP listens: the bind address, or loopback when workers come over TLS from other hosts. */
    private final String plainAddress;
    private final Thread starter;
    /** What the starter waits on for the first connection; woken by {@link #close}. */
    private final java.nio.channels.Selector firstConnection;
    private volatile boolean closed;
    private final byte[] token;
    private final String tokenText;
    private final long maxJsonBytes;
    private final SessionRoutes session = new SessionRoutes();
    private final ResourceRoutes resources = new ResourceRoutes();
    private volatile BrowserCredential credential;
    private volatile java.util.function.Supplier<Map<String, Integer>> launches = Map::of;
    /** Upgrades to WebSockets, for worker apps' sockets passed through ({@link AppProxy}). */
    private volatile org.eclipse.jetty.websocket.server.ServerWebSocketContainer sockets;
    /** Paths outside /v1, by their first segment: the dashboard's pages and the workers' apps. */
    private final Map<String, Route> pages;
    /** Each resource's routes, by the path's second segment: adding an endpoint touches one route class, this table and the docs. */
    private final Map<String, Route> routes;

    /** The handler of one resource's requests; {@code p} is the path's segments ("v1", resource, ...). */
    @FunctionalInterface
    interface Route {
        void route(Request r, List<String> p) throws IOException, InterruptedException;
    }

    public ControlPlane(String bindAddress, QueueService queues, ResultStore results, SnapshotStore snapshots,
                        AgentRegistry agents, long maxJsonBytes, long maxSnapshotBytes) {
        this(bindAddress, queues, results, snapshots, agents, maxJsonBytes, maxSnapshotBytes, WorkerSecurity.OFF);
    }

    /**
     * A control plane on {@code bindAddress}. With {@code security} on it also serves workers over TLS
     * there ({@link #workerUrl()}, pinned by {@link #tlsPin()}), each worker with a credential of its own
     * ({@link #workerToken}), and its plain HTTP connector, for the session's own clients, listens on
     * loopback only.
     */
    public ControlPlane(String bindAddress, QueueService queues, ResultStore results, SnapshotStore snapshots,
                        AgentRegistry agents, long maxJsonBytes, long maxSnapshotBytes, WorkerSecurity security) {
        this.maxJsonBytes = maxJsonBytes;
        this.security = security;
        this.workerCredentials = security.on() ? new WorkerCredentials() : null;
        QueueRoutes queueRoutes = new QueueRoutes(queues);
        this.routes = Map.ofEntries(
                Map.entry("queues", (Route) queueRoutes::route),
                Map.entry("heartbeat", (Route) queueRoutes::heartbeat),
                Map.entry("results", (Route) new ResultRoutes(results)::route),
                Map.entry("snapshots", (Route) new SnapshotRoutes(snapshots, maxSnapshotBytes)::route),
                Map.entry("agents", (Route) new AgentRoutes(agents)::route),
                Map.entry("workers", (Route) session::workers),
                Map.entry("events", (Route) session::events),
                Map.entry("session", (Route) session::session),
                Map.entry("resources", (Route) resources::route),
                Map.entry("groups", (Route) new GroupRoutes(session)::route));
        DashboardRoutes dashboard = new DashboardRoutes(session, () -> credential, () -> launches.get());
        AppProxy apps = new AppProxy(session, () -> credential, () -> sockets);
        this.pages = Map.of("", dashboard::home, "ui", dashboard::route, "apps", apps::route);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        this.tokenText = HexFormat.of().formatHex(random);
        this.token = tokenText.getBytes(StandardCharsets.US_ASCII);
        this.bindAddress = bindAddress;
        // With TLS for workers, plain HTTP stays on this machine: only the session's own clients use it.
        this.plainAddress = security.on() && !loopback(bindAddress) ? "127.0.0.1" : bindAddress;
        try {
            this.listening = java.nio.channels.ServerSocketChannel.open();
            listening.bind(new java.net.InetSocketAddress(plainAddress, 0), ACCEPT_QUEUE);
        } catch (IOException | RuntimeException e) {
            throw new CohortException("cannot start the control plane on " + plainAddress + ": " + e.getMessage(), e);
        }
        int port = listening.socket().getLocalPort();
        this.url = "http://" + host(plainAddress) + ":" + port;
        this.credential = new BrowserCredential(port);
        if (security.on()) {
            // Workers on other hosts: the TLS connector's port is part of their address, so Jetty starts now.
            SelfSignedCertificate certificate = SelfSignedCertificate.create(bindAddress);
            this.firstConnection = null;
            this.starter = null;
            ServerConnector tls;
            try {
                tls = start(certificate);
            } catch (Exception e) {
                close();
                throw new CohortException("cannot start the control plane on " + bindAddress + ": " + e.getMessage(), e);
            }
            this.workerUrl = "https://" + host(bindAddress) + ":" + tls.getLocalPort();
            this.pin = certificate.pin();
        } else {
            try {
                listening.configureBlocking(false);
                this.firstConnection = java.nio.channels.Selector.open();
                listening.register(firstConnection, java.nio.channels.SelectionKey.OP_ACCEPT);
            } catch (IOException | RuntimeException e) {
                throw new CohortException("cannot start the control plane on " + plainAddress + ": " + e.getMessage(), e);
            }
            this.workerUrl = url;
            this.pin = null;
            this.starter = new Thread(this::startOnFirstConnection, "cohort-http-start");
            starter.setDaemon(true);
            starter.start();
        }
    }

    /** Room for connections that wait to be accepted, e.g. while Jetty starts. */
    private static final int ACCEPT_QUEUE = 1024;

    /**
     * Starts Jetty when the first connection arrives, not before: a session whose workers never call
     * it (shell or Java programs that use no queue, result or API) never loads or runs a web server,
     * and opening a session does not wait for one (about half a second of class loading and start on
     * two cores; benchmark 1). The socket is bound from the start, so the URL is known and a
     * connection that comes while Jetty starts waits in the accept queue: callers only see a first
     * answer that is a little slower.
     */
    private void startOnFirstConnection() {
        try (java.nio.channels.Selector selector = firstConnection) {
            while (!closed && selector.select() == 0) {
                // woken without a connection: closing, or spurious
            }
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            if (!closed) {
                io.cohort.core.backend.Background.report("waiting for the control plane's first connection on " + url, e);
            }
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                listening.configureBlocking(true);
                start(null);
            } catch (Exception e) {
                io.cohort.core.backend.Background.report("starting the control plane on " + url
                        + " (workers and clients cannot reach the session)", e);
                try {
                    listening.close();
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
        }
    }

    /** Starts Jetty on the bound socket, and on a TLS connector of its own when given a certificate (which it returns). */
    private ServerConnector start(SelfSignedCertificate certificate) throws Exception {
        // Threads only for requests being worked on (waiting ones hold none); idle threads go away.
        QueuedThreadPool threads = new QueuedThreadPool(512, 4, 30_000);
        threads.setName("cohort-http");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty) {
            @Override
            protected java.nio.channels.ServerSocketChannel openAcceptChannel() {
                return listening;
            }
        };
        connector.setHost(plainAddress);
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        connector.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration().setSendServerVersion(false);
        jetty.addConnector(connector);
        ServerConnector tls = certificate == null ? null : tlsConnector(jetty, bindAddress, certificate);
        jetty.setHandler(new Api());
        this.sockets = org.eclipse.jetty.websocket.server.ServerWebSocketContainer.ensure(jetty);
        // What Jetty refuses before a handler runs (a malformed URI or %-escape, a bad header) gets the JSON error too.
        jetty.setErrorHandler(new JsonErrors());
        try {
            jetty.start();
        } catch (Exception e) {
            try {
                jetty.stop();
            } catch (Exception ignored) {
                // already failing
            }
            throw e;
        }
        this.jetty = jetty;
        return tls;
    }

    /**
     * A JSON error answer, {"error": message}, for the constant messages above: written by hand, so
     * that loading this class does not load Jackson (the session opens without it).
     */
    private static String error(String message) {
        if (message.chars().anyMatch(c -> c < 0x20 || c == '"' || c == '\\')) {
            throw new IllegalArgumentException("a constant error message needs no escaping: " + message);
        }
        return "{\"error\":\"" + message + "\"}";
    }

    /** The dashboard's address with the token, for the session to print once: opening it signs the browser in. */
    public String dashboardUrl() {
        return url + "/ui/?token=" + tokenText;
    }

    /** Serves {@code GET /ui/launches}: the launch (1, 2, ...) each worker came from, for "stop the launch". */
    public void serveLaunches(java.util.function.Supplier<Map<String, Integer>> launches) {
        this.launches = launches;
    }

    /** Serves {@code GET /v1/resources}: the machine's and each worker's CPU and memory (docs/dashboard.md). */
    public void serveResources(java.util.function.Supplier<Map<String, io.cohort.core.backend.WorkerUsage>> usage) {
        resources.serve(usage);
    }

    private final String url;
    private final String workerUrl;
    private final String pin;
    private final WorkerSecurity security;
    /** Each worker's own credential, when {@link WorkerSecurity#on}; null otherwise (workers hold the token). */
    private final WorkerCredentials workerCredentials;

    /** The base URL workers are given as COHORT_API: https://HOST:PORT with worker security on, else {@link #url}. */
    public String workerUrl() {
        return workerUrl;
    }

    /** The TLS certificate's pin, "sha256:HEX", that workers are given as COHORT_TLS_PIN; null without TLS. */
    public String tlsPin() {
        return pin;
    }

    /** What worker {@code id} gets as COHORT_TOKEN: its own credential with worker security on, else the session's token. */
    public String workerToken(String id) {
        return workerCredentials == null ? tokenText : workerCredentials.issue(id);
    }

    /** What the members of group {@code name} share as COHORT_GROUP_SECRET with worker security on; null otherwise. */
    public String groupSecret(String name) {
        return workerCredentials == null ? null : workerCredentials.groupSecret(name);
    }

    private static ServerConnector tlsConnector(Server jetty, String address, SelfSignedCertificate certificate) {
        org.eclipse.jetty.util.ssl.SslContextFactory.Server tls = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        tls.setKeyStore(certificate.keyStore());
        tls.setKeyStorePassword(SelfSignedCertificate.PASSWORD);
        org.eclipse.jetty.server.HttpConfiguration https = new org.eclipse.jetty.server.HttpConfiguration();
        https.setSendServerVersion(false);
        org.eclipse.jetty.server.SecureRequestCustomizer secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
        // Clients reach the session by its IP address and pin its certificate: no name to check.
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        ServerConnector c = new ServerConnector(jetty, tls, new HttpConnectionFactory(https));
        c.setHost(address);
        c.setPort(0);
        c.setAcceptQueueSize(1024);
        c.setIdleTimeout(IDLE_TIMEOUT_MS);
        jetty.addConnector(c);
        return c;
    }

    private static boolean loopback(String address) {
        try {
            return java.net.InetAddress.getByName(address).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** An address as a URL's host: an IPv6 address in brackets. */
    private static String host(String address) {
        return address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
    }

    /** The base URL, e.g. http://127.0.0.1:41234 */
    public String url() {
        return url;
    }

    /** The session's token (256 random bits, hex): workers get it as COHORT_TOKEN. */
    public String token() {
        return tokenText;
    }

    /**
     * Every request: the credential first (the token, or the dashboard's cookie; nothing of the body
     * is read without one), the CSRF value for a browser's changes, then its route.
     */
    private final class Api extends Handler.Abstract {
        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, Response response, Callback callback) {
            String top = firstSegment(request.getHttpURI().getPath());
            String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
            boolean bearer = authorized(authorization);
            String worker = bearer || workerCredentials == null || authorization == null || !authorization.startsWith("Bearer ")
                    ? null : workerCredentials.verify(authorization.substring(7).trim());
            boolean browser = !bearer && worker == null && credential != null && credential.presented(request);
            Request r = null;
            try {
                if (!top.equals("apps")) {
                    DashboardRoutes.securityHeaders(response);
                }
                if (!bearer && !browser && worker == null) {
                    String offered = top.equals("ui") && request.getMethod().equals("GET")
                            ? new Request(request, response, callback, 0).query("token") : null;
                    if (offered != null && credential != null && authorized("Bearer " + offered)) {
                        DashboardRoutes.login(response, callback, credential);
                        return true;
                    }
                    // 401 without reading a byte of the body, and the connection closed: a caller without the
                    // token cannot hold a thread by trickling a large body. The answer names nothing of the session.
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                    Request.write(response, 401, top.equals("ui") || top.equals("apps") ? UNAUTHORIZED_BROWSER : UNAUTHORIZED, callback);
                    return true;
                }
                if (browser && !SAFE_METHODS.contains(request.getMethod()) && !credential.csrfPresented(request)) {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                    Request.write(response, 403, FORBIDDEN, callback);
                    return true;
                }
                r = new Request(request, response, callback, maxJsonBytes);
                if (worker != null) {
                    r.principal(worker);
                    WorkerAccess.check(worker, r, security, ControlPlane.this::groupOf);
                }
                route(r);
                if (!r.answering()) {
                    throw new IllegalStateException("the route for " + r.rawPath() + " gave no answer");
                }
                r.finish();
            } catch (Throwable e) {
                fail(response, callback, e, r);
            }
            return true;
        }
    }

    /** A worker's group, or null when the session knows no such worker. */
    private String groupOf(String worker) {
        try {
            return session.servedOr503().session().get(worker).group();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String firstSegment(String path) {
        if (path == null) {
            return "";
        }
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                return s;
            }
        }
        return "";
    }

    /**
     * Answers a failure: a refusal with its status and words, an internal error as 500 without its
     * text (logged instead). When the answer is already under way it can only be cut off.
     */
    static void fail(Response response, Callback callback, Throwable e, Request r) {
        int status;
        String message = e.getMessage();
        if (e instanceof HttpError h) {
            status = h.status;
        } else if (e instanceof IllegalArgumentException) {
            status = 400;
        } else if (e instanceof QueueService.NoSuchItem) {
            status = 404;
        } else if (e instanceof CohortException) {
            status = 409;
        } else if (e instanceof IOException) {
            // The client went away; nothing to answer.
            callback.failed(e);
            return;
        } else if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            status = 503;
            message = "the session is closing";
        } else {
            // The exception's text may hold paths, SQL or data: it goes to the session's log, not to the caller.
            LOG.log(System.Logger.Level.ERROR, "cohort: the control plane failed to answer "
                    + (r == null ? "a request" : r.method + " " + r.rawPath()), e);
            status = 500;
            message = "the session failed to answer this request (an internal error, logged by the"
                    + " session as io.cohort); try again, and report it if it persists";
        }
        if ((r != null && r.committed()) || response.isCommitted()) {
            callback.failed(e);
            return;
        }
        Request.write(response, status, Json.write(Map.of("error", message == null ? "unknown error" : message)), callback);
    }

    private boolean authorized(String h) {
        if (h == null || !h.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(token, h.substring(7).trim().getBytes(StandardCharsets.US_ASCII));
    }

    private void route(Request r) throws IOException, InterruptedException {
        List<String> p = r.path;
        Route page = pages.get(p.isEmpty() ? "" : p.get(0));
        if (page != null) {
            page.route(r, p);
            return;
        }
        if (p.size() < 2 || !p.get(0).equals("v1")) {
            throw new HttpError(404, "no such endpoint: " + r.rawPath() + " (endpoints start with /v1/)");
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
        Server started;
        synchronized (this) {
            closed = true;
            started = jetty;
        }
        if (firstConnection != null) {
            firstConnection.wakeup();
        }
        try {
            if (started != null) {
                started.stop();
            }
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "cohort: stopping the control plane failed: " + e, e);
        } finally {
            try {
                listening.close(); // also ends the wait for a first connection
            } catch (IOException ignored) {
                // already closed
            }
        }
    }
}
