package io.cohort.core.control;

import io.cohort.CohortException;
import io.cohort.OutputLine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The dashboard (docs/dashboard.md): its page and static files under {@code /ui/}, served from the
 * jar (no build step, no CDN), and a worker's whole log as a download. The page itself reads the
 * session API ({@code /v1/...}) with the browser's cookie. Signing in ({@code /ui/?token=T}) and the
 * checks of the cookie and of the CSRF value are {@link ControlPlane}'s, before any route runs.
 */
final class DashboardRoutes {
    /** Where the page's files lie in the jar. */
    private static final String FILES = "/io/cohort/core/dashboard/";
    private static final Map<String, String> TYPES = Map.of(
            "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml", "html", "text/html; charset=utf-8");
    /**
     * No script but the dashboard's own files (no inline script, no eval), no framing, nothing sent
     * anywhere but the session itself.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
            + " frame-ancestors 'none'";
    private final SessionRoutes session;
    private final Supplier<BrowserCredential> credential;
    private final Supplier<Map<String, Integer>> launches;

    DashboardRoutes(SessionRoutes session, Supplier<BrowserCredential> credential, Supplier<Map<String, Integer>> launches) {
        this.session = session;
        this.credential = credential;
        this.launches = launches;
    }

    /** Headers every answer but a worker app's carries. */
    static void securityHeaders(Response response) {
        response.getHeaders().put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put("X-Frame-Options", "DENY");
        response.getHeaders().put("Referrer-Policy", "no-referrer");
    }

    /** The answer to {@code /ui/?token=T} with the right token: the cookie, and the dashboard without the token in its URL. */
    static void login(Response response, Callback callback, BrowserCredential credential) {
        response.setStatus(303);
        response.getHeaders().put(HttpHeader.SET_COOKIE, credential.setCookie());
        response.getHeaders().put(HttpHeader.LOCATION, "/ui/");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, "0");
        response.write(true, null, callback);
    }

    /** {@code /}: the dashboard. */
    void home(Request r, List<String> p) {
        if (!p.isEmpty()) {
            throw new HttpError(404, "no such endpoint: " + r.rawPath());
        }
        r.expect("GET");
        r.setHeader("Location", "/ui/");
        r.answer(303, Map.of("see", "/ui/"));
    }

    /** {@code /ui/...} */
    void route(Request r, List<String> p) throws IOException {
        r.expect("GET");
        if (p.size() == 1 || (p.size() == 2 && p.get(1).equals("index.html"))) {
            page(r);
        } else if (p.size() == 2 && p.get(1).equals("launches")) {
            r.setHeader("Cache-Control", "no-store");
            r.answer(200, launches.get());
        } else if (p.size() == 3 && p.get(1).equals("logs")) {
            log(r, p.get(2));
        } else if (p.size() == 2 && p.get(1).matches("[a-z0-9-]{1,40}\\.(js|css|svg)")) {
            file(r, p.get(1));
        } else {
            throw new HttpError(404, "no such page: " + r.rawPath() + " (the dashboard is at /ui/)");
        }
    }

    private void page(Request r) throws IOException {
        if (r.query("token") != null) {
            // Signed in already (by the cookie): the token still leaves the address bar.
            r.setHeader("Location", "/ui/");
            r.setHeader("Cache-Control", "no-store");
            r.answer(303, Map.of("see", "/ui/"));
            return;
        }
        SessionRoutes.Served s = session.served();
        String id = s == null ? "" : s.session().id();
        String html = new String(read("index.html"), StandardCharsets.UTF_8)
                .replace("{{csrf}}", credential.get().csrf())
                // A session id is letters, digits, '-' and '_' (checked when the session opens): nothing to escape.
                .replace("{{session}}", id.replaceAll("[^A-Za-z0-9_-]", ""));
        send(r, "html", html.getBytes(StandardCharsets.UTF_8));
    }

    private void file(Request r, String name) throws IOException {
        send(r, name.substring(name.lastIndexOf('.') + 1), read(name));
    }

    private static void send(Request r, String type, byte[] bytes) throws IOException {
        r.setHeader("Cache-Control", "no-cache");
        try (OutputStream out = r.stream(200, TYPES.get(type), bytes.length)) {
            out.write(bytes);
        }
    }

    private static byte[] read(String name) throws IOException {
        try (InputStream in = DashboardRoutes.class.getResourceAsStream(FILES + name)) {
            if (in == null) {
                throw new HttpError(404, "no such file: /ui/" + name);
            }
            return in.readAllBytes();
        }
    }

    /** {@code /ui/logs/ID}: everything the worker wrote, as text; stderr lines begin with "[err] ". */
    private void log(Request r, String id) throws IOException {
        SessionRoutes.Served s = session.served();
        if (s == null) {
            throw new HttpError(503, "this control plane serves no session yet");
        }
        List<OutputLine> lines;
        try {
            lines = s.session().output(s.session().get(id).id());
        } catch (CohortException e) {
            throw new HttpError(404, e.getMessage());
        }
        r.setHeader("Content-Disposition", "attachment; filename=\"" + id.replaceAll("[^A-Za-z0-9_.-]", "_") + ".log\"");
        try (OutputStream out = new java.io.BufferedOutputStream(r.stream(200, "text/plain; charset=utf-8", -1), 1 << 16)) {
            for (OutputLine l : lines) {
                String text = (l.stream() == OutputLine.Stream.STDERR ? "[err] " : "") + l.text() + "\n";
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
