package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dashboard's doors (docs/dashboard.md), on a real session with a real worker: one URL with the
 * token signs a browser in with a cookie; every page, file, stream and app refuses a caller without
 * a credential and says nothing of the session; a browser's changes need the CSRF value; every answer
 * but an app's carries a strict content-security policy; and the bearer-token API is as it was.
 */
@ExtendWith(LocalSessions.class)
class DashboardSecurityTest {
    /** Every route a browser uses, with a worker that exists (w1). */
    static final List<String> ROUTES = List.of("/", "/ui/", "/ui/index.html", "/ui/app.js", "/ui/style.css", "/ui/logs/w1", "/ui/launches",
            "/apps/w1/", "/apps/w1/anything?x=1", "/v1/workers", "/v1/workers/w1", "/v1/workers/w1/output", "/v1/events",
            "/v1/resources", "/v1/resources/stream", "/v1/queues", "/v1/queues/params", "/v1/queues/params/dead", "/v1/queues/params/items",
            "/v1/results", "/v1/snapshots", "/v1/session");
    Fixtures.Console console;
    Session session;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    String base;

    @BeforeEach
    void aWorkerWithANameWorthStealing() {
        base = session.controlPlaneUrl();
        session.launch(new LaunchRequest(1, 0.1, 0.1, 0, Program.shell("echo secret-launch-text; exec sleep 600"), Map.of()));
        await().atMost(Duration.ofSeconds(30)).until(() -> session.get("w1").status() == Status.RUNNING);
    }

    @Test
    void theSessionPrintsOneUrlThatSignsABrowserInWithACookieAndDropsTheToken() throws Exception {
        String printed = dashboardUrl();
        assertThat(printed).isEqualTo(base + "/ui/?token=" + session.controlPlaneToken());

        HttpResponse<String> signIn = get(printed, Map.of());

        assertThat(signIn.statusCode()).isEqualTo(303);
        assertThat(signIn.headers().firstValue("Location")).contains("/ui/");
        String cookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/")
                .doesNotContain(session.controlPlaneToken());
        HttpResponse<String> page = get(base + "/ui/", Map.of("Cookie", cookie.substring(0, cookie.indexOf(';'))));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        assertThat(page.body()).contains("name=\"cohort-csrf\"").doesNotContain(session.controlPlaneToken());
        // No inline script: every script element names its file.
        assertThat(Pattern.compile("<script(?![^>]*\\ssrc=)").matcher(page.body()).find()).isFalse();

        assertThat(get(base + "/ui/?token=" + "0".repeat(64), Map.of()).statusCode()).isEqualTo(401);
    }

    @Test
    void everyRouteRefusesACallerWithoutACredentialAndNamesNothingOfTheSession() throws Exception {
        for (Map<String, String> wrong : List.of(Map.<String, String>of(), Map.of("Authorization", "Bearer " + "f".repeat(64)),
                Map.of("Cookie", cookieName() + "=" + "a".repeat(64)), Map.of("Cookie", "cohort_1=" + session.controlPlaneToken()))) {
            for (String route : ROUTES) {
                HttpResponse<String> r = get(base + route, wrong);
                assertThat(r.statusCode()).as(route + " with " + wrong).isEqualTo(401);
                assertThat(r.body()).as(route).doesNotContain("w1").doesNotContain("secret-launch-text")
                        .doesNotContain(session.id()).doesNotContain("127.");
                assertThat(r.headers().firstValue("Set-Cookie")).as(route).isEmpty();
            }
        }
    }

    @Test
    void everyRouteAnswersASignedInBrowserAndEveryAnswerButAnAppsCarriesAStrictPolicy() throws Exception {
        Map<String, String> cookie = Map.of("Cookie", signIn());
        for (String route : ROUTES) {
            boolean stream = route.endsWith("events") || route.endsWith("stream");
            HttpResponse<?> r = stream ? http.send(request(base + route, cookie).build(), HttpResponse.BodyHandlers.ofInputStream())
                    : get(base + route, cookie);
            if (stream) {
                ((java.io.InputStream) r.body()).close();
            }
            if (route.startsWith("/apps/")) {
                // The worker serves no app: the session says so, and the worker's app would set its own policy.
                assertThat(r.statusCode()).as(route).isEqualTo(502);
                continue;
            }
            assertThat(r.statusCode()).as(route).isIn(200, 303);
            String policy = r.headers().firstValue("Content-Security-Policy").orElse("");
            assertThat(policy).as(route).contains("default-src 'self'").contains("script-src 'self'")
                    .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(route).contains("nosniff");
        }
    }

    @Test
    void aBrowsersChangeWithoutTheCsrfValueIsRefusedAndChangesNothing() throws Exception {
        String cookie = signIn();
        String csrf = csrf(cookie);
        for (String route : List.of("/v1/workers/stop", "/v1/workers", "/v1/queues/params/items", "/v1/session/close", "/apps/w1/")) {
            for (String wrongCsrf : new String[] {null, "0".repeat(64)}) {
                HttpRequest.Builder b = request(base + route, Map.of("Cookie", cookie))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"ids\": [\"w1\"], \"items\": [1]}"));
                if (wrongCsrf != null) {
                    b.header("X-Cohort-CSRF", wrongCsrf);
                }
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(route).isEqualTo(403);
                assertThat(r.body()).contains("X-Cohort-CSRF");
            }
        }
        assertThat(session.get("w1").status()).isEqualTo(Status.RUNNING);
        assertThat(session.list()).hasSize(1);
        assertThat(session.queue("params").progress().added()).isZero();

        HttpResponse<String> stop = http.send(request(base + "/v1/workers/stop", Map.of("Cookie", cookie, "X-Cohort-CSRF", csrf))
                .POST(HttpRequest.BodyPublishers.ofString("{\"ids\": [\"w1\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(stop.statusCode()).isEqualTo(200);
        assertThat(session.get("w1").status()).isEqualTo(Status.STOPPED);
    }

    @Test
    void theTokensApiIsAsItWasAndNeedsNoCsrfValue() throws Exception {
        Map<String, String> bearer = Map.of("Authorization", "Bearer " + session.controlPlaneToken());
        assertThat(get(base + "/v1/workers", bearer).body()).contains("\"id\":\"w1\"");
        HttpResponse<String> stop = http.send(request(base + "/v1/workers/stop", bearer)
                .POST(HttpRequest.BodyPublishers.ofString("{\"ids\": [\"w1\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(stop.statusCode()).isEqualTo(200);
        assertThat(session.get("w1").status()).isEqualTo(Status.STOPPED);
    }

    @Test
    void aWorkersLogDownloadsAsPlainTextThatNoBrowserRunsAsAPage() throws Exception {
        session.launch(new LaunchRequest(1, 0.1, 0.1, 0, Program.shell("echo '<script>alert(1)</script>'; echo '<b>x</b>' >&2"), Map.of()));
        session.await(List.of("w2"), true, Duration.ofSeconds(30));

        HttpResponse<String> log = get(base + "/ui/logs/w2", Map.of("Cookie", signIn()));

        assertThat(log.statusCode()).isEqualTo(200);
        assertThat(log.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(log.headers().firstValue("Content-Disposition").orElseThrow()).contains("attachment").contains("w2.log");
        assertThat(log.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        // stdout and stderr are two pipes: their lines keep no order between them.
        assertThat(log.body()).endsWith("\n");
        assertThat(log.body().lines()).containsExactlyInAnyOrder("<script>alert(1)</script>", "[err] <b>x</b>");
    }

    @Test
    void anotherSitesPageCannotOpenAWebSocketToAWorkersAppWithTheBrowsersCookie() throws Exception {
        String cookie = signIn();
        URI u = URI.create(base);
        for (String origin : List.of("http://evil.example", "http://127.0.0.1:1")) {
            try (java.net.Socket socket = new java.net.Socket(u.getHost(), u.getPort())) {
                socket.getOutputStream().write(("GET /apps/w1/ws HTTP/1.1\r\nHost: " + u.getHost() + ":" + u.getPort()
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " + origin + "\r\nCookie: " + cookie
                        + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                        java.nio.charset.StandardCharsets.US_ASCII)).readLine();
                assertThat(status).as(origin).startsWith("HTTP/1.1 403");
            }
        }
    }

    private String dashboardUrl() {
        await().atMost(Duration.ofSeconds(10)).until(() -> console.text().contains("dashboard: "));
        Matcher m = Pattern.compile("dashboard: (\\S+)").matcher(console.text());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private String cookieName() {
        return "cohort_" + URI.create(base).getPort();
    }

    /** Signs in as a browser does; the cookie, as a Cookie header's value. */
    private String signIn() throws Exception {
        String setCookie = get(dashboardUrl(), Map.of()).headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private String csrf(String cookie) throws Exception {
        Matcher m = Pattern.compile("name=\"cohort-csrf\" content=\"([0-9a-f]+)\"").matcher(get(base + "/ui/", Map.of("Cookie", cookie)).body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private HttpRequest.Builder request(String url, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        return b;
    }

    private HttpResponse<String> get(String url, Map<String, String> headers) throws Exception {
        return http.send(request(url, headers).build(), HttpResponse.BodyHandlers.ofString());
    }
}
