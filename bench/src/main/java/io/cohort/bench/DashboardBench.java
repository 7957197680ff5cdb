package io.cohort.bench;

import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Worker;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Benchmark 8, the dashboard (BENCHMARKS.md, docs/dashboard.md), in a real headless Chromium
 * (Debian's, named explicitly: Selenium never looks for one):
 * <ol>
 * <li>latency from a worker's output line to the page's DOM, measured in the browser (a
 * MutationObserver reads the time a probe worker wrote into each of its lines), with 32 busy workers
 * and the all-workers view shown;</li>
 * <li>the session's CPU (this JVM's) with the page open vs none, under the same load, rounds
 * alternating;</li>
 * <li>a worker's app: requests per second through the session's proxy vs the same app reached
 * directly, rounds alternating.</li>
 * </ol>
 * Arguments: {@code --lines=N} lines per second each busy worker aims at (default 1000),
 * {@code --seconds=S} per round (default 10).
 */
public final class DashboardBench {
    private static final int BUSY = 32;

    private DashboardBench() {
    }

    public static void main(String[] args) throws Exception {
        int lines = 1000;
        int seconds = 10;
        for (String a : args) {
            if (a.startsWith("--lines=")) {
                lines = Integer.parseInt(a.substring(8));
            } else if (a.startsWith("--seconds=")) {
                seconds = Integer.parseInt(a.substring(10));
            }
        }
        Path home = Files.createTempDirectory("cohort-dashboard-bench-");
        Report report = new Report();
        try (Session session = Session.open(SessionOptions.builder().home(home).workingDirectory(home).console(null)
                .cpuOvercommit(256).stopGrace(Duration.ofSeconds(2)).build())) {
            String dashboard = session.controlPlaneUrl() + "/ui/?token=" + session.controlPlaneToken();
            // Each busy worker prints a batch of lines every 10 ms: `lines` a second at most.
            int batch = Math.max(1, lines / 100);
            session.launch(new LaunchRequest(BUSY, 0.05, 0.05, 0, Program.shell(
                    "while :; do seq -f 'busy line %g of some ordinary length, as a log has' 1 " + batch + "; sleep 0.01; done"), Map.of()));
            Worker probe = session.launch(new LaunchRequest(1, 0.05, 0.05, 0, Program.shell(
                    "while :; do echo \"probe $(date +%s%3N)\"; sleep 0.05; done"), Map.of())).get(0);
            session.await(List.of(), false, Duration.ofSeconds(60));

            System.out.printf("8. the dashboard: %d busy workers at up to %d lines/s each, %d s rounds, %d cores%n",
                    BUSY, lines, seconds, Runtime.getRuntime().availableProcessors());
            List<Double> idle = new ArrayList<>();
            List<Double> open = new ArrayList<>();
            List<Double> latencies = new ArrayList<>();
            List<Double> arrivals = new ArrayList<>();
            long[] skipped = {0};
            for (int round = 0; round < 3; round++) {
                idle.add(sessionCpu(seconds));
                WebDriver page = browser();
                try {
                    page.get(dashboard);
                    ((JavascriptExecutor) page).executeScript("location.hash = 'output';");
                    ((JavascriptExecutor) page).executeScript("""
                            window.probe = [];
                            new MutationObserver((changes) => {
                              const now = Date.now();
                              for (const c of changes) for (const n of c.addedNodes) {
                                const m = /\\[%s\\] probe (\\d+)$/.exec(n.textContent);
                                if (m) window.probe.push(now - Number(m[1]));
                              }
                            }).observe(document.getElementById('output-lines'), { childList: true });
                            window.arrived = [];
                            const handle = window.onEvent;
                            window.onEvent = (type, data) => {
                              if (type === 'output' && data.worker === '%s' && data.text.startsWith('probe ')) {
                                window.arrived.push(Date.now() - Number(data.text.slice(6)));
                              }
                              handle(type, data);
                            };
                            """.formatted(probe.id(), probe.id()));
                    open.add(sessionCpu(seconds));
                    @SuppressWarnings("unchecked")
                    List<Number> got = (List<Number>) ((JavascriptExecutor) page).executeScript("return window.probe;");
                    got.forEach(n -> latencies.add(n.doubleValue()));
                    @SuppressWarnings("unchecked")
                    List<Number> came = (List<Number>) ((JavascriptExecutor) page).executeScript("return window.arrived;");
                    came.forEach(n -> arrivals.add(n.doubleValue()));
                    String notice = (String) ((JavascriptExecutor) page).executeScript(
                            "return document.getElementById('output-notice').textContent;");
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) lines skipped").matcher(notice);
                    skipped[0] += m.find() ? Long.parseLong(m.group(1)) : 0;
                } finally {
                    page.quit();
                }
            }
            java.util.Collections.sort(latencies);
            report.value("8 dashboard", "output line -> page DOM, p50 / p99 (" + latencies.size() + " probe lines)",
                    latencies.isEmpty() ? "none seen" : Stats.f(percentile(latencies, 50)) + " / " + Stats.f(percentile(latencies, 99)) + " ms",
                    "", "", "", 3);
            java.util.Collections.sort(arrivals);
            report.value("8 dashboard", "output line -> the page's event handler, p50 / p99 (" + arrivals.size() + " probe lines)",
                    arrivals.isEmpty() ? "none seen" : Stats.f(percentile(arrivals, 50)) + " / " + Stats.f(percentile(arrivals, 99)) + " ms",
                    "", "", "", 3);
            report.value("8 dashboard", "session CPU, one page open", String.format(java.util.Locale.ROOT, "%.2f cores", Stats.median(open)),
                    "no page", String.format(java.util.Locale.ROOT, "%.2f cores", Stats.median(idle)), Stats.x(Stats.ratios(open, idle)), 3);
            report.note("8: session CPU in cores, no page: %s; one page: %s; lines the page skipped (bounded tail): %d over 3 rounds",
                    idle, open, skipped[0]);
            session.stop(List.of());

            proxy(session, report, seconds);
        } finally {
            report.print();
            try (var files = Files.walk(home)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A Java app on the worker's app port, asked by 8 clients at once, through the session and directly. */
    private static void proxy(Session session, Report report, int seconds) throws Exception {
        Worker app = session.launch(new LaunchRequest(1, 1, 0.5, 0, Program.code(Kernel.JAVA, """
                import com.sun.net.httpserver.HttpServer;
                import java.net.InetSocketAddress;
                class App {
                    public static void main(String[] args) throws Exception {
                        HttpServer s = HttpServer.create(new InetSocketAddress(System.getenv("CDSW_IP_ADDRESS"),
                                Integer.parseInt(System.getenv("CDSW_APP_PORT"))), 64);
                        byte[] ok = "ok\\n".getBytes();
                        s.createContext("/", x -> { x.sendResponseHeaders(200, ok.length); x.getResponseBody().write(ok); x.close(); });
                        s.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
                        s.start();
                        System.out.println("serving");
                    }
                }
                """), Map.of())).get(0);
        session.await(List.of(app.id()), false, Duration.ofSeconds(60));
        while (session.output(app.id()).isEmpty()) {
            Thread.sleep(50); // until the app says it serves
        }
        Worker running = session.get(app.id());
        String direct = "http://" + running.ipAddress() + ":8080/";
        String proxied = session.controlPlaneUrl() + "/apps/" + app.id() + "/";
        List<Double> viaSession = new ArrayList<>();
        List<Double> straight = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            straight.add(requestsPerSecond(direct, null, seconds));
            viaSession.add(requestsPerSecond(proxied, session.controlPlaneToken(), seconds));
        }
        report.value("8 dashboard", "app requests/s through the session", String.format(java.util.Locale.ROOT, "%.0f /s", Stats.median(viaSession)),
                "directly", String.format(java.util.Locale.ROOT, "%.0f /s", Stats.median(straight)), Stats.x(Stats.ratios(viaSession, straight)), 3);
        report.note("8: app requests/s, 8 clients: through the session %s, directly %s", viaSession, straight);
    }

    private static double requestsPerSecond(String url, String token, int seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpRequest request = b.build();
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    try {
                        if (http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                            done.incrementAndGet();
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        for (Thread t : clients) {
            t.join();
        }
        return done.get() / (double) seconds;
    }

    /** This JVM's CPU over {@code seconds}, in cores. */
    private static double sessionCpu(int seconds) throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L); // the measuring window
        return (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - t0);
    }

    private static double percentile(List<Double> sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static WebDriver browser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                "--no-first-run", "--disable-extensions", "--disable-background-networking");
        return new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new java.io.File("/usr/bin/chromedriver"))
                .usingAnyFreePort().build(), options);
    }
}
