package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The dashboard in a real headless Chromium (docs/dashboard.md), on a real session with real
 * workers: a user opens the URL the session printed and watches workers, output, queues, results,
 * resources and a worker's app. Screenshots of each page go to target/dashboard-screenshots.
 */
@ExtendWith(LocalSessions.class)
class DashboardTest {
    Fixtures.Console console;
    Session session;
    Browser browser;

    @BeforeEach
    void openThePrintedUrl() {
        browser = Browser.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> console.text().contains("dashboard: "));
        Matcher printed = Pattern.compile("dashboard: (\\S+)").matcher(console.text());
        assertThat(printed.find()).isTrue();
        browser.open(printed.group(1));
        // Signed in: the token is gone from the address, and the page follows the session's events.
        browser.until(ExpectedConditions.attributeToBe(By.tagName("body"), "data-live", "true"));
        assertThat(browser.driver.getCurrentUrl()).doesNotContain("token").endsWith("/ui/");
        // Opened again, signed in already: the token leaves the address bar all the same.
        browser.open(printed.group(1));
        browser.until(ExpectedConditions.attributeToBe(By.tagName("body"), "data-live", "true"));
        assertThat(browser.driver.getCurrentUrl()).doesNotContain("token").endsWith("/ui/");
    }

    @AfterEach
    void nothingWasRefusedOrFailedInThePage() {
        if (browser == null) {
            return;
        }
        try {
            // The session's own pages: no script error, nothing the content-security policy refused.
            assertThat(browser.errors()).filteredOn(e -> e.contains("/ui/") || e.contains("Content Security Policy")
                    || e.contains("Uncaught")).isEmpty();
        } finally {
            browser.close();
        }
    }

    @Test
    void workersAppearRunAndFinishAndTheirOutputFollowsLiveAsText(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path finish = dir.resolve("finish");
        session.launch(new LaunchRequest(1, 0.2, 0.1, 0, Program.shell(
                "i=0; while [ ! -e " + finish + " ]; do i=$((i+1)); echo tick $i; sleep 0.1; done; echo 'a warning' >&2"), Map.of()));
        session.launch(new LaunchRequest(1, 0.2, 0.1, 0, Program.shell(
                "echo '<script>window.pwned = 1</script>'; echo '<img src=x onerror=\"window.pwned = 2\">'; echo '<b>not bold</b>'"), Map.of()));
        WebDriver page = browser.driver;

        browser.until(d -> status(d, "w1").equals("running"));
        browser.until(d -> status(d, "w2").equals("succeeded"));
        browser.screenshot("workers");
        browser.click("#worker-w1 button[aria-label='Output of w1']");
        browser.until(d -> d.findElement(By.id("output-lines")).getText().contains("tick 5"));
        int shown = lines(page).size();
        browser.until(d -> lines(d).size() > shown); // lines keep coming while it runs
        Files.createFile(finish);
        browser.until(d -> status(d, "w1").equals("succeeded"));
        browser.until(d -> d.findElement(By.id("output-lines")).getText().contains("[err] a warning"));
        assertThat(page.findElements(By.cssSelector("#output-lines .err"))).isNotEmpty();
        browser.screenshot("output");

        // Search within the log.
        page.findElement(By.id("output-search")).sendKeys("tick 3");
        browser.until(d -> lines(d).stream().allMatch(l -> l.startsWith("tick 3")) && !lines(d).isEmpty());
        page.findElement(By.id("output-search")).clear();

        // A worker printing markup shows it as text: nothing of it runs or renders.
        new org.openqa.selenium.support.ui.Select(page.findElement(By.id("output-worker"))).selectByValue("w2");
        browser.until(d -> d.findElement(By.id("output-lines")).getText().contains("<b>not bold</b>"));
        assertThat(lines(page)).containsExactly("<script>window.pwned = 1</script>", "<img src=x onerror=\"window.pwned = 2\">",
                "<b>not bold</b>");
        assertThat(page.findElements(By.cssSelector("#output-lines b, #output-lines img, #output-lines script"))).isEmpty();
        assertThat(browser.script("return window.pwned === undefined")).isEqualTo(true);
        assertThat(page.findElement(By.id("output-download")).getAttribute("href")).endsWith("/ui/logs/w2");

        // All workers interleaved, each line with its worker's prefix.
        new org.openqa.selenium.support.ui.Select(page.findElement(By.id("output-worker"))).selectByValue("*");
        browser.until(d -> d.findElement(By.id("output-lines")).getText().contains("[w1 err] a warning"));
    }

    @Test
    void aRunningWorkerALaunchAndAllStoppedFromThePageShowStoppedAndResourcesWereDrawn() throws Exception {
        session.launch(new LaunchRequest(1, 0.5, 0.25, 0, Program.shell("exec sleep 600"), Map.of()));
        WebDriver page = browser.driver;
        browser.until(d -> status(d, "w1").equals("running"));

        page.findElement(By.id("tab-resources")).click();
        browser.until(d -> !d.findElements(By.cssSelector("#worker-charts figure[data-worker='w1']")).isEmpty());
        // Drawn over time: a sample every 2 s, each redrawing the charts.
        browser.until(d -> Integer.parseInt(d.findElement(By.id("resources")).getAttribute("data-samples")) >= 4);
        assertThat(page.findElements(By.cssSelector("#machine-charts svg"))).hasSize(2);
        assertThat(page.findElements(By.cssSelector("#worker-charts figure[data-worker='w1'] .limit"))).isNotEmpty();
        browser.screenshot("resources");

        page.findElement(By.id("tab-workers")).click();
        browser.click("button[data-stop='w1']");

        browser.until(d -> status(d, "w1").equals("stopped"));
        assertThat(session.get("w1").status()).isEqualTo(Status.STOPPED);
        browser.until(d -> !d.findElement(By.cssSelector("button[data-stop='w1']")).isEnabled());

        // A launch of two, stopped together; the launch before it is left alone.
        session.launch(new LaunchRequest(2, 0.1, 0.1, 0, Program.shell("exec sleep 600"), Map.of()));
        session.launch(new LaunchRequest(1, 0.1, 0.1, 0, Program.shell("exec sleep 600"), Map.of()));
        browser.until(d -> status(d, "w2").equals("running") && status(d, "w3").equals("running") && status(d, "w4").equals("running"));
        browser.click("#worker-w2 button[data-stop-launch='2']");
        browser.until(d -> status(d, "w2").equals("stopped") && status(d, "w3").equals("stopped"));
        assertThat(session.get("w4").status()).isEqualTo(Status.RUNNING);
        page.findElement(By.id("stop-all")).click();
        browser.until(d -> status(d, "w4").equals("stopped"));
    }

    @Test
    void aQueueDrainsWhileTheResultsTableAndItsChartFill() throws Exception {
        session.queue("params").putAll(IntStream.rangeClosed(1, 12).mapToObj(x -> Map.of("x", x)).toList());
        session.queue("params").put(Map.of("x", -1)); // fails every attempt: a dead letter
        session.queue("params").close();
        WebDriver page = browser.driver;
        page.findElement(By.id("tab-results")).click();

        session.launch(new LaunchRequest(1, 0.5, 0.25, 0, Program.code(Kernel.PYTHON3, """
                import cohort_client as cohort
                def score(item):
                    x = item.value["x"]
                    if x < 0:
                        raise ValueError("x must be positive, got %d" % x)
                    cohort.results.put("x=%02d" % x, {"x": x, "score": x * x})
                cohort.for_each("params", score)
                """), Map.of()));

        browser.until(d -> d.findElements(By.cssSelector("#result-table tbody tr")).size() == 12);
        browser.until(d -> d.findElements(By.cssSelector("#chart circle.point")).size() == 12);
        // Sorted by score, highest first (the leaderboard), then filtered.
        browser.click("#result-table th button[data-column='score']");
        browser.until(d -> d.findElement(By.cssSelector("#result-table tbody tr td")).getText().equals("x=12"));
        browser.screenshot("results");
        page.findElement(By.id("result-filter")).sendKeys("x=0");
        browser.until(d -> d.findElements(By.cssSelector("#result-table tbody tr")).size() == 9);

        page.findElement(By.id("tab-queues")).click();
        browser.until(d -> d.findElement(By.id("queue-params")).getText().contains("drained"));
        browser.until(d -> d.findElement(By.id("queue-params")).getAttribute("data-done").equals("12"));
        // The queue's items, a page at a time (50 a page: one page here), each with its state.
        browser.click("button[data-items='params']");
        browser.until(d -> d.findElements(By.cssSelector("#queue-items tbody tr")).size() == 13);
        assertThat(page.findElement(By.id("queue-items")).getText()).contains("done").contains("{\"x\":12}");
        browser.click("button[data-dead='params']");
        browser.until(d -> d.findElement(By.id("queue-detail")).getText().contains("x must be positive, got -1"));
        browser.screenshot("queues");
    }

    @Test
    void aWorkersAppOpensThroughTheSessionWithItsEventsAndWebSocketOnItsOwnAddressOrOnTheLoopback() throws Exception {
        session.launch(new LaunchRequest(1, 0.5, 0.25, 0, Program.code(Kernel.PYTHON3, app("CDSW_IP_ADDRESS")), Map.of()));
        session.launch(new LaunchRequest(1, 0.5, 0.25, 0, Program.code(Kernel.PYTHON3, app("LOOPBACK")), Map.of()));
        WebDriver page = browser.driver;
        browser.until(d -> status(d, "w1").equals("running") && status(d, "w2").equals("running"));
        await().atMost(Duration.ofSeconds(30)).until(() -> session.output("w1").size() + session.output("w2").size() >= 2);

        // The workers table links each running worker's app.
        Map<String, String> links = new java.util.TreeMap<>();
        for (String id : List.of("w1", "w2")) {
            links.put(id, browser.until(d -> d.findElement(By.cssSelector("#worker-" + id + " a[href='/apps/" + id + "/']")).getAttribute("href")));
        }
        for (String id : links.keySet()) {
            browser.open(links.get(id));
            browser.until(d -> d.findElement(By.id("got")).getText().equals("got event 3 from " + id));
            browser.until(d -> d.findElement(By.id("ws")).getText().equals("echo: ping from the page, from " + id));
            if (id.equals("w1")) {
                browser.screenshot("app");
            }
        }
    }

    @Test
    void aFloodOfOutputFreezesNeitherThePageNorTheSessionAndThePageSaysWhatItSkipped() throws Exception {
        int workers = 8;
        int lines = 40_000;
        WebDriver page = browser.driver;
        page.findElement(By.id("tab-output")).click();

        session.launch(new LaunchRequest(workers, 0.1, 0.1, 0, Program.shell(
                "seq -f \"$CDSW_ENGINE_ID line %g\" 1 " + lines), Map.of()));
        session.await(List.of(), true, Duration.ofSeconds(120));

        // The session answers, and the page too; each view holds a bounded tail and counts the rest.
        assertThat(session.list()).hasSize(workers).allMatch(w -> w.status() == Status.SUCCEEDED);
        browser.until(d -> status(d, "w" + workers).equals("succeeded"));
        browser.until(d -> d.findElement(By.id("output-notice")).getText().contains("lines skipped"));
        assertThat(lines(page).size()).isLessThanOrEqualTo(5000);
        new org.openqa.selenium.support.ui.Select(page.findElement(By.id("output-worker"))).selectByValue("w3");
        browser.until(d -> lines(d).contains("w3 line " + lines));
        assertThat(lines(page).size()).isLessThanOrEqualTo(5000);
        assertThat(page.findElement(By.id("output-notice")).getText()).contains((lines - 5000) + " lines skipped");
        browser.screenshot("output-flood");
    }

    /**
     * A worker's web app: a page that opens a stream of events and a WebSocket on its own paths (the
     * WebSocket end written out by hand, as Python's standard library has none).
     */
    private static String app(String bind) {
        return """
                import base64, hashlib, os, time, http.server
                ip = "127.0.0.1" if "%s" == "LOOPBACK" else os.environ["CDSW_IP_ADDRESS"]
                me = os.environ["CDSW_ENGINE_ID"]
                PAGE = ('<!doctype html><title>app of %%s</title><h1>app of %%s</h1><p id="got">waiting</p><p id="ws">no socket</p>'
                        '<script>const s = new EventSource("events"); let n = 0;'
                        's.onmessage = (e) => { n++; document.getElementById("got").textContent = "got " + e.data;'
                        ' if (n === 3) s.close(); };'
                        'const ws = new WebSocket("ws://" + location.host + location.pathname + "ws");'
                        'ws.onopen = () => ws.send("ping from the page");'
                        'ws.onmessage = (e) => { document.getElementById("ws").textContent = e.data; };'
                        '</script>' %% (me, me)).encode()
                class App(http.server.BaseHTTPRequestHandler):
                    protocol_version = "HTTP/1.1"
                    def do_GET(self):
                        if self.path.startswith("/events"):
                            self.send_response(200)
                            self.send_header("Content-Type", "text/event-stream")
                            self.send_header("Connection", "close")
                            self.end_headers()
                            self.close_connection = True
                            for i in range(1, 4):
                                self.wfile.write(("data: event %%d from %%s\\n\\n" %% (i, me)).encode())
                                self.wfile.flush()
                                time.sleep(0.1)
                            return
                        if self.path.startswith("/ws"):
                            key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
                            self.send_response(101)
                            self.send_header("Upgrade", "websocket")
                            self.send_header("Connection", "Upgrade")
                            self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())
                            self.end_headers()
                            self.wfile.flush()
                            head = self.rfile.read(2)
                            mask = self.rfile.read(4)
                            data = bytes(b ^ mask[i %% 4] for i, b in enumerate(self.rfile.read(head[1] & 127)))
                            reply = ("echo: %%s, from %%s" %% (data.decode(), me)).encode()
                            self.wfile.write(bytes([0x81, len(reply)]) + reply)
                            self.wfile.flush()
                            self.rfile.read(1)  # until the page goes
                            self.close_connection = True
                            return
                        self.send_response(200)
                        self.send_header("Content-Type", "text/html")
                        self.send_header("Content-Length", str(len(PAGE)))
                        self.end_headers()
                        self.wfile.write(PAGE)
                server = http.server.ThreadingHTTPServer((ip, int(os.environ["CDSW_APP_PORT"])), App)
                print("serving on", ip, flush=True)
                server.serve_forever()
                """.formatted(bind);
    }

    /** A worker's status in the workers table, read in one step (rows are replaced as workers change). */
    private static String status(WebDriver d, String id) {
        Object s = ((org.openqa.selenium.JavascriptExecutor) d).executeScript(
                "const r = document.getElementById('worker-' + arguments[0]); return r ? r.dataset.status : '';", id);
        return s == null ? "" : s.toString();
    }

    /** The output view's lines, as text, read in one step. */
    @SuppressWarnings("unchecked")
    private static List<String> lines(WebDriver d) {
        return (List<String>) ((org.openqa.selenium.JavascriptExecutor) d).executeScript(
                "return [...document.querySelectorAll('#output-lines > div')].map(e => e.textContent);");
    }
}
