import crawlercommons.filters.basic.BasicURLNormalizer;
import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRulesParser;
import io.cohort.worker.Cohort;
import io.cohort.worker.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * A worker of the parallel web crawl. It takes URLs from the crawl queue until the session closes it,
 * fetches each one politely (robots.txt, a delay per host, a User-Agent, retries with back-off),
 * parses it with jsoup, stores it into the database, and puts the links it finds back on the queue.
 * Everything it needs comes from its environment and the queue, so it runs the same wherever the
 * backend starts it:
 *
 * <pre>
 * CRAWL_DB_URL              JDBC URL of the database (the session created the tables); CRAWL_DB_USER, CRAWL_DB_PASSWORD
 * CRAWL_ALLOWED_HOSTS       comma-separated hosts ("example.org") or host:port; nothing else is fetched
 * CRAWL_MAX_DEPTH           links are followed up to this many steps from a start URL (a redirect is no step)
 * CRAWL_QUEUE               the queue's name (crawl)
 * CRAWL_DELAY_MS            wait between two requests of this worker to one host (1000; robots.txt's Crawl-delay if longer)
 * CRAWL_CONNECT_TIMEOUT_MS  5000;  CRAWL_REQUEST_TIMEOUT_MS: the whole response, body included (10000)
 * CRAWL_RETRIES             how often a 5xx, 429, timeout or broken connection is retried (3)
 * CRAWL_BACKOFF_MS          the first retry's wait, doubled each time, with jitter; Retry-After if longer (1000)
 * CRAWL_USER_AGENT          cohort-crawler/0.1; sent as "UA (+cohort worker ID)"; its first word is the robots.txt name
 * CRAWL_MAX_BYTES           a page's body is read up to this many bytes (2 MiB)
 * </pre>
 *
 * <p>Queue items are {"url": normalised URL, "depth": d, "from": the page that linked to it}, put with
 * the dedup key "d url". One URL can thus be queued once per depth at which it is found: a page found
 * first along a long path is queued again when a shorter path turns up, and a worker skips an item
 * whose URL is already claimed or stored at a smaller depth. That makes the depth limit exact (see
 * docs/crawler.md). The database keeps one row per URL (the primary key; upserts), so a re-delivered
 * item (its worker killed mid-item) or a URL queued at two depths never makes a second row.
 */
public class CrawlWorker {
    static final String OK = "ok";
    static final String REDIRECT = "redirect";
    static final String FAILED = "failed";

    public static void main(String[] args) throws Exception {
        Settings s = Settings.fromEnvironment();
        long start = System.nanoTime();
        try (Database db = new Database(s.dbUrl, s.dbUser, s.dbPassword)) {
            Crawler crawler = new Crawler(s, db);
            Cohort.queue(s.queue).forEach(crawler::crawl);
            System.out.printf("done: %d pages stored, %d redirects, %d failed, %d skipped (claimed or stored nearer the start)"
                    + " in %.1f s%n", crawler.stored, crawler.redirected, crawler.failed, crawler.skipped,
                    (System.nanoTime() - start) / 1e9);
        }
    }

    /** The worker's settings, from its environment. */
    record Settings(String queue, String dbUrl, String dbUser, String dbPassword, Set<String> allowedHosts, int maxDepth,
                    long delayMs, long connectTimeoutMs, long requestTimeoutMs, int retries, long backoffMs,
                    String userAgent, String robotName, int maxBytes) {

        static Settings fromEnvironment() {
            Set<String> hosts = new LinkedHashSet<>();
            for (String h : require("CRAWL_ALLOWED_HOSTS").split(",")) {
                if (!h.isBlank()) {
                    hosts.add(h.trim().toLowerCase(Locale.ROOT));
                }
            }
            String agent = env("CRAWL_USER_AGENT", "cohort-crawler/0.1");
            String robot = agent.split("[/ ]", 2)[0].toLowerCase(Locale.ROOT);
            String id = System.getenv("CDSW_ENGINE_ID");
            return new Settings(env("CRAWL_QUEUE", "crawl"), require("CRAWL_DB_URL"), System.getenv("CRAWL_DB_USER"),
                    System.getenv("CRAWL_DB_PASSWORD"), hosts, Integer.parseInt(env("CRAWL_MAX_DEPTH", "3")),
                    Long.parseLong(env("CRAWL_DELAY_MS", "1000")), Long.parseLong(env("CRAWL_CONNECT_TIMEOUT_MS", "5000")),
                    Long.parseLong(env("CRAWL_REQUEST_TIMEOUT_MS", "10000")), Integer.parseInt(env("CRAWL_RETRIES", "3")),
                    Long.parseLong(env("CRAWL_BACKOFF_MS", "1000")),
                    id == null ? agent : agent + " (+cohort worker " + id + ")", robot,
                    Integer.parseInt(env("CRAWL_MAX_BYTES", Integer.toString(2 << 20))));
        }

        private static String env(String name, String fallback) {
            String v = System.getenv(name);
            return v == null || v.isBlank() ? fallback : v;
        }

        private static String require(String name) {
            String v = System.getenv(name);
            if (v == null || v.isBlank()) {
                throw new IllegalStateException(name + " is not set: the session passes it to every crawl worker");
            }
            return v;
        }
    }

    /** What one fetch came to, after its retries: a response (status) or none (error), and how many tries it took. */
    record Fetch(Integer status, String contentType, String location, byte[] body, int tries, String error, long millis) {
    }

    /** A host's robots.txt rules, or why they could not be had. */
    record Robots(BaseRobotRules rules, String unavailable, long fetchedAt) {
    }

    static final class Crawler {
        private final Settings s;
        private final Database db;
        private final HttpClient http;
        private final BasicURLNormalizer normalizer = BasicURLNormalizer.newBuilder().build();
        private final SimpleRobotRulesParser robotsParser = new SimpleRobotRulesParser();
        private final Map<String, Robots> robots = new HashMap<>();
        private final Map<String, Long> nextRequestAt = new HashMap<>();
        int stored;
        int redirected;
        int failed;
        int skipped;

        Crawler(Settings s, Database db) {
            this.s = s;
            this.db = db;
            this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofMillis(s.connectTimeoutMs)).followRedirects(HttpClient.Redirect.NEVER).build();
        }

        void crawl(Item item) {
            Map<String, Object> v = item.asMap();
            String url = (String) v.get("url");
            int depth = ((Number) v.get("depth")).intValue();
            if (!db.claim(url, depth)) {
                // Claimed or stored along a shorter path: that item queues the links, at smaller depths.
                skipped++;
                return;
            }
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                record(url, depth, FAILED, null, null, null, "not a URL: " + e.getMessage(), 0, 0, List.of());
                return;
            }
            if (!hostAllowed(uri)) {
                record(url, depth, FAILED, null, null, null, "host not allowed: " + uri.getHost(), 0, 0, List.of());
                return;
            }
            Robots r = robots(uri);
            if (r.unavailable != null) {
                record(url, depth, FAILED, null, null, null, "robots.txt unavailable: " + r.unavailable, 0, 0, List.of());
                return;
            }
            if (!r.rules.isAllowed(url)) {
                record(url, depth, FAILED, null, null, null, "disallowed by robots.txt", 0, 0, List.of());
                return;
            }
            Fetch f = fetch(uri, crawlDelay(r));
            if (f.error != null) {
                record(url, depth, FAILED, f.status, f.contentType, null, f.error, f.tries, f.millis, List.of());
            } else if (f.status >= 300 && f.status < 400) {
                String target = f.location == null ? null : normalize(uri, f.location);
                if (target == null) {
                    record(url, depth, FAILED, f.status, f.contentType, null, "HTTP " + f.status + " without a usable Location",
                            f.tries, f.millis, List.of());
                    return;
                }
                // A redirect is the page it leads to: same depth. Queued before this row is stored (see crawl's skip).
                if (followable(target)) {
                    Cohort.queue(s.queue).putUnique(depth + " " + target, item(target, depth, url));
                }
                record(url, depth, REDIRECT, f.status, f.contentType, target, null, f.tries, f.millis, List.of());
            } else {
                Page p = parse(uri, f);
                if (depth < s.maxDepth) {
                    // A link already claimed or stored at depth + 1 or less has its links queued by that item (before
                    // it stores the page): queueing it again would add nothing. (500 at a time: an IN list any database takes.)
                    Map<String, Integer> storedAt = new HashMap<>();
                    for (int from = 0; from < p.links.size(); from += 500) {
                        storedAt.putAll(db.depths(p.links.subList(from, Math.min(p.links.size(), from + 500))));
                    }
                    for (String link : p.links) {
                        if (storedAt.getOrDefault(link, Integer.MAX_VALUE) > depth + 1 && followable(link)) {
                            Cohort.queue(s.queue).putUnique((depth + 1) + " " + link, item(link, depth + 1, url));
                        }
                    }
                }
                db.record(url, depth, OK, f.status, f.contentType, null, null, f.tries, f.millis, p.title, p.text, p.links);
                stored++;
            }
        }

        private void record(String url, int depth, String outcome, Integer status, String contentType, String redirectTo,
                            String error, int tries, long millis, List<String> links) {
            db.record(url, depth, outcome, status, contentType, redirectTo, error, tries, millis, null, null, links);
            if (FAILED.equals(outcome)) {
                failed++;
                System.out.println("failed for good: " + url + ": " + error);
            } else {
                redirected++;
            }
        }

        private static Map<String, Object> item(String url, int depth, String from) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("url", url);
            m.put("depth", depth);
            m.put("from", from);
            return m;
        }

        /** Allowed host, http(s), and allowed by the host's robots.txt (unknown yet: let the worker that takes it decide). */
        private boolean followable(String url) {
            URI u;
            try {
                u = URI.create(url);
            } catch (IllegalArgumentException e) {
                return false;
            }
            if (!hostAllowed(u)) {
                return false;
            }
            Robots r = robots(u);
            return r.unavailable != null || r.rules.isAllowed(url);
        }

        private boolean hostAllowed(URI u) {
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
                return false;
            }
            String host = u.getHost().toLowerCase(Locale.ROOT);
            int port = u.getPort() != -1 ? u.getPort() : scheme.equals("https") ? 443 : 80;
            return s.allowedHosts.contains(host) || s.allowedHosts.contains(host + ":" + port);
        }

        private String normalize(URI base, String href) {
            try {
                String abs = base.resolve(href.trim()).toString();
                return normalizer.filter(abs);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        private static String origin(URI u) {
            return u.getScheme().toLowerCase(Locale.ROOT) + "://" + u.getRawAuthority().toLowerCase(Locale.ROOT);
        }

        private long crawlDelay(Robots r) {
            long fromRobots = r.rules == null ? BaseRobotRules.UNSET_CRAWL_DELAY : r.rules.getCrawlDelay();
            return fromRobots == BaseRobotRules.UNSET_CRAWL_DELAY ? s.delayMs : Math.max(s.delayMs, fromRobots);
        }

        /**
         * The rules of the URL's origin, fetched once per worker (and again a minute after a failure):
         * 200 is parsed; any other 4xx means no rules (allowed); 5xx, a timeout or no connection after the
         * retries means robots.txt is unavailable, and the origin's pages are recorded as failed rather than
         * fetched blindly.
         */
        private Robots robots(URI u) {
            String origin = origin(u);
            Robots known = robots.get(origin);
            if (known != null && (known.unavailable == null || System.currentTimeMillis() - known.fetchedAt < 60_000)) {
                return known;
            }
            Robots r;
            URI at = URI.create(origin + "/robots.txt");
            Fetch f = fetch(at, s.delayMs);
            for (int hops = 0; f.error == null && f.status >= 300 && f.status < 400 && f.location != null && hops < 5; hops++) {
                at = at.resolve(f.location);
                f = fetch(at, s.delayMs);
            }
            if (f.status != null && f.status == 200) {
                r = new Robots(robotsParser.parseContent(at.toString(), f.body, f.contentType == null ? "text/plain"
                        : f.contentType, List.of(s.robotName)), null, System.currentTimeMillis());
            } else if (f.status != null && f.status >= 400 && f.status < 500) {
                r = new Robots(robotsParser.failedFetch(f.status), null, System.currentTimeMillis());
            } else {
                r = new Robots(null, f.error != null ? f.error : "HTTP " + f.status, System.currentTimeMillis());
            }
            robots.put(origin, r);
            return r;
        }

        /**
         * GETs the URL: waits for the host's turn, retries 5xx, 429, timeouts and broken connections with
         * exponential back-off (doubling from CRAWL_BACKOFF_MS, with jitter, at least Retry-After, at most
         * a minute), and gives up after CRAWL_RETRIES retries with the reason.
         */
        private Fetch fetch(URI uri, long delayMs) {
            long started = System.nanoTime();
            String last = null;
            Integer lastStatus = null;
            for (int attempt = 1; ; attempt++) {
                waitForTurn(uri, delayMs);
                long retryAfterMs = 0;
                try {
                    Response r = get(uri);
                    if (!retryable(r.status) || attempt > s.retries) {
                        long ms = (System.nanoTime() - started) / 1_000_000;
                        String error = r.status >= 400 ? "HTTP " + r.status + (attempt > 1 ? " after " + attempt + " tries" : "") : null;
                        return new Fetch(r.status, r.contentType, r.location, r.body, attempt, error, ms);
                    }
                    lastStatus = r.status;
                    last = "HTTP " + r.status;
                    retryAfterMs = r.retryAfterMs;
                } catch (HttpTimeoutException | TimeoutException e) {
                    lastStatus = null;
                    last = "timed out after " + (e instanceof java.net.http.HttpConnectTimeoutException
                            ? s.connectTimeoutMs + " ms connecting" : s.requestTimeoutMs + " ms");
                } catch (IOException e) {
                    lastStatus = null;
                    last = "connection failed: " + e;
                } finally {
                    done(uri, delayMs);
                }
                if (attempt > s.retries) {
                    return new Fetch(lastStatus, null, null, null, attempt, last + " (" + attempt + " tries)",
                            (System.nanoTime() - started) / 1_000_000);
                }
                long backoff = s.backoffMs << Math.min(attempt - 1, 16);
                backoff = Math.min(60_000, Math.max(retryAfterMs, backoff + ThreadLocalRandom.current().nextLong(backoff / 4 + 1)));
                System.out.printf("retrying %s in %d ms: %s (try %d of %d)%n", uri, backoff, last, attempt + 1, s.retries + 1);
                pause(backoff);
            }
        }

        private static boolean retryable(int status) {
            return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
        }

        private record Response(int status, String contentType, String location, byte[] body, long retryAfterMs) {
        }

        /** One GET; the request timeout covers the whole response, body included, which is read up to CRAWL_MAX_BYTES. */
        private Response get(URI uri) throws IOException, TimeoutException {
            HttpRequest req = HttpRequest.newBuilder(uri).GET().timeout(Duration.ofMillis(s.requestTimeoutMs))
                    .header("User-Agent", s.userAgent).header("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
                    .build();
            CompletableFuture<Response> response = http.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream())
                    .thenApply(r -> {
                        try (InputStream in = r.body()) {
                            byte[] body = in.readNBytes(s.maxBytes);
                            return new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
                                    r.headers().firstValue("Location").orElse(null), body, retryAfter(r));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            try {
                return response.get(s.requestTimeoutMs + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (TimeoutException e) {
                response.cancel(true);
                throw e;
            } catch (ExecutionException e) {
                Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
                if (c instanceof IOException io) {
                    throw io;
                }
                throw new IOException(c);
            }
        }

        private static long retryAfter(HttpResponse<?> r) {
            try {
                return r.headers().firstValue("Retry-After").map(v -> Long.parseLong(v.trim()) * 1000).orElse(0L);
            } catch (NumberFormatException e) {
                return 0; // an HTTP date: the back-off decides
            }
        }

        /** Politeness: one request at a time per host from this worker, and the delay between them. */
        private void waitForTurn(URI uri, long delayMs) {
            Long at = nextRequestAt.get(origin(uri));
            if (at != null) {
                pause(at - System.currentTimeMillis());
            }
        }

        private void done(URI uri, long delayMs) {
            nextRequestAt.put(origin(uri), System.currentTimeMillis() + delayMs);
        }

        private static void pause(long ms) {
            if (ms <= 0) {
                return;
            }
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        record Page(String title, String text, List<String> links) {
        }

        /** HTML is parsed with jsoup: title, visible text, and every link, absolute and normalised, in order. */
        private Page parse(URI uri, Fetch f) {
            String type = f.contentType == null ? "" : f.contentType.toLowerCase(Locale.ROOT);
            if (!type.isEmpty() && !type.contains("html")) {
                return new Page(null, null, List.of());
            }
            Charset charset = null;
            int i = type.indexOf("charset=");
            if (i >= 0) {
                try {
                    charset = Charset.forName(type.substring(i + 8).replace("\"", "").split(";")[0].trim());
                } catch (RuntimeException e) {
                    charset = null;
                }
            }
            Document doc;
            try {
                doc = Jsoup.parse(new ByteArrayInputStream(f.body), charset == null ? null : charset.name(), uri.toString());
            } catch (IOException e) {
                doc = Jsoup.parse(new String(f.body, StandardCharsets.UTF_8), uri.toString());
            }
            Set<String> links = new LinkedHashSet<>();
            for (Element a : doc.select("a[href]")) {
                String abs = a.absUrl("href");
                String n = abs.isEmpty() ? null : normalizer.filter(abs);
                if (n != null && (n.startsWith("http://") || n.startsWith("https://"))) {
                    links.add(n);
                }
            }
            String text = doc.body() == null ? doc.text() : doc.body().text();
            return new Page(doc.title(), text, new ArrayList<>(links));
        }
    }

    /**
     * The worker's side of the database: portable SQL (SQLite and PostgreSQL both have ON CONFLICT), one
     * row per URL. A row is replaced by a later attempt for the same URL (a re-delivered item), except that
     * a stored page is never replaced by a failure, and its depth only ever goes down.
     */
    static final class Database implements AutoCloseable {
        private static final String UPSERT = "INSERT INTO pages (url, outcome, depth, status, content_type, title, text,"
                + " links, redirect_to, error, tries, worker, fetched_at, fetch_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (url) DO UPDATE SET outcome = excluded.outcome,"
                + " depth = CASE WHEN excluded.depth < pages.depth THEN excluded.depth ELSE pages.depth END,"
                + " status = excluded.status, content_type = excluded.content_type, title = excluded.title,"
                + " text = excluded.text, links = excluded.links, redirect_to = excluded.redirect_to, error = excluded.error,"
                + " tries = excluded.tries, worker = excluded.worker, fetched_at = excluded.fetched_at,"
                + " fetch_ms = excluded.fetch_ms"
                + " WHERE pages.outcome <> 'ok' OR excluded.outcome = 'ok'";
        private final String url;
        private final Properties props = new Properties();
        private Connection c;

        Database(String url, String user, String password) throws SQLException {
            this.url = url;
            if (user != null) {
                props.setProperty("user", user);
            }
            if (password != null) {
                props.setProperty("password", password);
            }
            if (url.startsWith("jdbc:sqlite:")) {
                // Several workers write one file: wait for the lock rather than fail, and take it at BEGIN.
                props.setProperty("busy_timeout", "60000");
                props.setProperty("journal_mode", "WAL");
                props.setProperty("transaction_mode", "IMMEDIATE");
            }
            connect();
        }

        private void connect() throws SQLException {
            c = DriverManager.getConnection(url, props);
        }

        /**
         * Claims the URL for an item at this depth before it is fetched, as a 'pending' row (or by lowering the
         * depth of the row there is). True when this item should crawl it: the URL is new, or known only at a
         * greater depth, or at this very depth (this item again, re-delivered: the key "depth url" is unique).
         * False when it is claimed or stored at a smaller depth: that item will queue its links nearer the
         * start, so fetching it again here would add nothing.
         */
        boolean claim(String pageUrl, int depth) {
            return withRetry(() -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO pages (url, outcome, depth, links, tries, worker,"
                        + " fetched_at, fetch_ms) VALUES (?, 'pending', ?, 0, 0, ?, ?, 0)"
                        + " ON CONFLICT (url) DO UPDATE SET depth = excluded.depth WHERE excluded.depth < pages.depth")) {
                    ps.setString(1, pageUrl);
                    ps.setInt(2, depth);
                    ps.setString(3, System.getenv().getOrDefault("CDSW_ENGINE_ID", "local"));
                    ps.setString(4, Instant.now().toString());
                    if (ps.executeUpdate() == 1) {
                        return true;
                    }
                }
                Integer known = depths(List.of(pageUrl)).get(pageUrl);
                return known == null || known >= depth;
            });
        }

        /** The depth each of these URLs is stored at, for those that are stored. */
        Map<String, Integer> depths(List<String> urls) {
            if (urls.isEmpty()) {
                return Map.of();
            }
            return withRetry(() -> {
                Map<String, Integer> out = new HashMap<>();
                String marks = String.join(", ", java.util.Collections.nCopies(urls.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement("SELECT url, depth FROM pages WHERE url IN (" + marks + ")")) {
                    for (int i = 0; i < urls.size(); i++) {
                        ps.setString(i + 1, urls.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), rs.getInt(2));
                        }
                    }
                }
                return out;
            });
        }

        void record(String pageUrl, int depth, String outcome, Integer status, String contentType, String redirectTo,
                    String error, int tries, long millis, String title, String text, List<String> links) {
            String worker = System.getenv().getOrDefault("CDSW_ENGINE_ID", "local");
            withRetry(() -> {
                c.setAutoCommit(false);
                try {
                    try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
                        ps.setString(1, pageUrl);
                        ps.setString(2, outcome);
                        ps.setInt(3, depth);
                        setInt(ps, 4, status);
                        ps.setString(5, clean(contentType));
                        ps.setString(6, clean(title));
                        ps.setString(7, clean(text));
                        ps.setInt(8, links.size());
                        ps.setString(9, redirectTo);
                        ps.setString(10, clean(error));
                        ps.setInt(11, tries);
                        ps.setString(12, worker);
                        ps.setString(13, Instant.now().toString());
                        ps.setLong(14, millis);
                        ps.executeUpdate();
                    }
                    // When the WHERE kept a stored page, the depth may still go down.
                    try (PreparedStatement ps = c.prepareStatement("UPDATE pages SET depth = ? WHERE url = ? AND depth > ?")) {
                        ps.setInt(1, depth);
                        ps.setString(2, pageUrl);
                        ps.setInt(3, depth);
                        ps.executeUpdate();
                    }
                    if (OK.equals(outcome)) {
                        try (PreparedStatement ps = c.prepareStatement("DELETE FROM links WHERE from_url = ?")) {
                            ps.setString(1, pageUrl);
                            ps.executeUpdate();
                        }
                        try (PreparedStatement ps = c.prepareStatement("INSERT INTO links (from_url, to_url) VALUES (?, ?)")) {
                            for (String to : links) {
                                ps.setString(1, pageUrl);
                                ps.setString(2, to);
                                ps.addBatch();
                            }
                            ps.executeBatch();
                        }
                    }
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    try {
                        c.rollback();
                    } catch (SQLException ignored) {
                        // The connection is gone; withRetry opens a new one.
                    }
                    throw e;
                } finally {
                    // Back to autocommit at once: sqlite-jdbc begins the next transaction right after a commit, and
                    // with BEGIN IMMEDIATE that would hold the write lock while this worker fetches its next page.
                    if (!c.isClosed()) {
                        c.setAutoCommit(true);
                    }
                }
                return null;
            });
        }

        private static void setInt(PreparedStatement ps, int i, Integer v) throws SQLException {
            if (v == null) {
                ps.setNull(i, java.sql.Types.INTEGER);
            } else {
                ps.setInt(i, v);
            }
        }

        /** PostgreSQL refuses NUL characters in text. */
        private static String clean(String s) {
            return s == null ? null : s.replace("\u0000", "");
        }

        interface Sql<T> {
            T run() throws SQLException;
        }

        /** Runs the statement; on an error, once more on a new connection (the database restarted, a network blip). */
        private <T> T withRetry(Sql<T> sql) {
            try {
                return sql.run();
            } catch (SQLException first) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // Replaced below.
                }
                try {
                    connect();
                    return sql.run();
                } catch (SQLException second) {
                    second.addSuppressed(first);
                    throw new IllegalStateException("database " + url + ": " + second.getMessage(), second);
                }
            }
        }

        @Override
        public void close() throws SQLException {
            c.close();
        }
    }
}
