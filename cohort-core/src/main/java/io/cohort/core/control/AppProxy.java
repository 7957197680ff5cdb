package io.cohort.core.control;

import io.cohort.CohortException;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.WorkerEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;

/**
 * {@code /apps/ID/...}: a worker's web app (what it serves on its app port, CDSW_APP_PORT) reached
 * through the session, behind the session's token or the dashboard's cookie (docs/dashboard.md). The
 * request goes to the worker's address and app port; when nothing listens there it goes to
 * 127.0.0.1 on the same port, for apps that bind the loopback address as the reference tells them to
 * (two such workers on one machine collide on the port: see the docs). Answers stream, so a page's
 * server-sent events pass through as they come. The session's credentials (its token, its cookie,
 * the CSRF value) are not passed on.
 */
final class AppProxy {
    /** Headers of one hop only, and those the JDK's client sets itself. */
    private static final Set<String> NOT_PASSED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect",
            "authorization", "cookie", BrowserCredential.CSRF_HEADER.toLowerCase(Locale.ROOT), "http2-settings");
    private final SessionRoutes session;
    private final Supplier<BrowserCredential> credential;
    /** Made at the first app request: an HttpClient loads TLS and starts a thread, which a session without apps never needs. */
    private volatile HttpClient http;

    private HttpClient http() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                if (http == null) {
                    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
                }
                c = http;
            }
        }
        return c;
    }

    private final Supplier<org.eclipse.jetty.websocket.server.ServerWebSocketContainer> sockets;

    AppProxy(SessionRoutes session, Supplier<BrowserCredential> credential,
             Supplier<org.eclipse.jetty.websocket.server.ServerWebSocketContainer> sockets) {
        this.session = session;
        this.credential = credential;
        this.sockets = sockets;
    }

    void route(Request r, List<String> p) throws IOException, InterruptedException {
        SessionRoutes.Served s = session.served();
        if (s == null || p.size() < 2) {
            throw new HttpError(404, "no such app: " + r.rawPath() + " (a worker's app is at /apps/ID/, e.g. /apps/w1/)");
        }
        Worker w;
        try {
            w = s.session().get(p.get(1));
        } catch (CohortException e) {
            throw new HttpError(404, e.getMessage());
        }
        if (w.status() != Status.RUNNING || w.ipAddress() == null) {
            throw new HttpError(502, "worker " + w.id() + " is " + w.status().label() + ", not running: its app"
                    + " answers only while it runs (launch it again to serve)");
        }
        String raw = r.rawPath();
        String prefix = "/apps/" + p.get(1);
        String rest = raw.length() > prefix.length() && raw.startsWith(prefix) ? raw.substring(prefix.length()) : "/";
        String query = r.rawQuery() == null ? "" : "?" + r.rawQuery();
        if ("websocket".equalsIgnoreCase(r.header("Upgrade"))) {
            socket(r, w, rest + query);
            return;
        }
        HttpResponse<InputStream> answer;
        try {
            answer = send(r, w.ipAddress(), rest + query, prefix);
        } catch (ConnectException e) {
            if (w.ipAddress().equals("127.0.0.1")) {
                throw refused(w);
            }
            try {
                answer = send(r, "127.0.0.1", rest + query, prefix);
            } catch (ConnectException again) {
                throw refused(w);
            }
        }
        pass(r, answer, prefix);
    }

    /**
     * A WebSocket: the app's end is opened first (on its address, else on 127.0.0.1), then the
     * browser's is accepted, with the subprotocol the app chose. A page of another site cannot open
     * one: its Origin must be this session's.
     */
    private void socket(Request r, Worker w, String pathAndQuery) throws IOException, InterruptedException {
        String origin = r.header("Origin");
        if (origin != null && !origin.equals("http://" + r.header("Host"))) {
            throw new HttpError(403, "a WebSocket to a worker's app must come from the session's own pages (Origin "
                    + origin + " is another site's)");
        }
        AppSocket bridge = new AppSocket();
        java.net.http.WebSocket app;
        try {
            app = connect(r, w.ipAddress(), pathAndQuery, bridge);
        } catch (ConnectException e) {
            if (w.ipAddress().equals("127.0.0.1")) {
                throw refused(w);
            }
            try {
                app = connect(r, "127.0.0.1", pathAndQuery, bridge);
            } catch (ConnectException again) {
                throw refused(w);
            }
        }
        bridge.connected(app);
        String protocol = app.getSubprotocol();
        java.net.http.WebSocket opened = app;
        boolean upgraded = r.takeOver((request, response, callback) -> sockets.get().upgrade((up, answer, done) -> {
            if (protocol != null && !protocol.isEmpty()) {
                answer.setAcceptedSubProtocol(protocol);
            }
            return bridge;
        }, request, response, callback));
        if (!upgraded) {
            opened.abort();
            throw new HttpError(400, "not a valid WebSocket upgrade request (send Connection: Upgrade, Upgrade: websocket,"
                    + " Sec-WebSocket-Key and Sec-WebSocket-Version: 13)");
        }
    }

    private java.net.http.WebSocket connect(Request r, String address, String pathAndQuery, AppSocket bridge)
            throws IOException, InterruptedException {
        java.net.http.WebSocket.Builder b = http().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        String cookie = r.header("Cookie");
        if (cookie != null && !credential.get().withoutCredential(cookie).isEmpty()) {
            b.header("Cookie", credential.get().withoutCredential(cookie));
        }
        String protocols = r.header("Sec-WebSocket-Protocol");
        if (protocols != null && !protocols.isBlank()) {
            String[] all = protocols.split("\\s*,\\s*");
            b.subprotocols(all[0].strip(), java.util.Arrays.copyOfRange(all, 1, all.length));
        }
        try {
            return b.buildAsync(URI.create("ws://" + address + ":" + WorkerEnvironment.APP_PORT + pathAndQuery),
                    bridge.appListener()).get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof ConnectException c) {
                throw c;
            }
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException h) {
                throw new HttpError(502, "the worker's app refused the WebSocket (HTTP " + h.getResponse().statusCode() + ")");
            }
            throw new IOException("cannot open the worker's app WebSocket: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new HttpError(504, "the worker's app did not accept the WebSocket within 10 s");
        }
    }

    private static HttpError refused(Worker w) {
        return new HttpError(502, "worker " + w.id() + " serves no app: nothing listens on " + w.ipAddress() + ":"
                + WorkerEnvironment.APP_PORT + " nor 127.0.0.1:" + WorkerEnvironment.APP_PORT
                + "; a worker's app must listen on $CDSW_IP_ADDRESS (or 127.0.0.1) port $CDSW_APP_PORT");
    }

    private HttpResponse<InputStream> send(Request r, String address, String pathAndQuery, String prefix)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + address + ":" + WorkerEnvironment.APP_PORT + pathAndQuery));
        for (HttpField f : r.headers()) {
            String name = f.getName().toLowerCase(Locale.ROOT);
            if (name.equals("cookie")) {
                String rest = credential.get().withoutCredential(f.getValue());
                if (!rest.isEmpty()) {
                    b.header("Cookie", rest);
                }
            } else if (!NOT_PASSED.contains(name)) {
                b.header(f.getName(), f.getValue());
            }
        }
        b.header("X-Forwarded-Prefix", prefix);
        String length = r.header("Content-Length");
        HttpRequest.BodyPublisher body;
        if (length != null && !length.strip().equals("0")) {
            // Passed on with its length, as it came: not every app reads a chunked body.
            body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(r::bodyStream),
                    Long.parseLong(length.strip()));
        } else if (r.header("Transfer-Encoding") != null) {
            body = HttpRequest.BodyPublishers.ofInputStream(r::bodyStream);
        } else {
            body = HttpRequest.BodyPublishers.noBody();
        }
        b.method(r.method, body);
        try {
            return http().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException e) {
            throw e;
        } catch (IOException e) {
            throw new HttpError(502, "the worker's app at " + address + ":" + WorkerEnvironment.APP_PORT
                    + " broke off without an answer (" + e.getMessage() + "); see the worker's output");
        }
    }

    /** The app's answer, as it comes: a stream of events is passed on event by event. */
    private static void pass(Request r, HttpResponse<InputStream> answer, String prefix) throws IOException {
        String type = answer.headers().firstValue("Content-Type").orElse("application/octet-stream");
        answer.headers().map().forEach((name, values) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (!NOT_PASSED.contains(n) && !n.equals("content-type") && !n.equals(":status")) {
                for (String v : values) {
                    // An app's redirect to its own root stays within its prefix.
                    r.addHeader(name, n.equals("location") && v.startsWith("/") && !v.startsWith("//") ? prefix + v : v);
                }
            }
        });
        long length = answer.headers().firstValueAsLong("Content-Length").orElse(-1);
        try (InputStream in = answer.body(); OutputStream out = r.stream(answer.statusCode(), type, length)) {
            byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                if (in.available() == 0) {
                    out.flush();
                }
            }
        }
    }
}
