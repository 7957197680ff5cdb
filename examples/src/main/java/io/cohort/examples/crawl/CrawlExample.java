package io.cohort.examples.crawl;

import crawlercommons.filters.basic.BasicURLNormalizer;
import io.cohort.DeadLetter;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.QueueProgress;
import io.cohort.Session;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import io.cohort.Workers;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * A parallel web crawl into a database. The session puts the start URLs on the "crawl" queue and
 * starts workers (CrawlWorker.java); each takes URLs, fetches them politely, stores every page (URL,
 * status, title, text, outgoing links, fetch time, worker) into the database and puts the links it
 * finds back on the queue, de-duplicated, within the depth limit and the allowed hosts. The session
 * closes the queue when nothing is waiting or in flight (no worker can add anything then), and prints
 * a summary. See docs/crawler.md.
 *
 * <p>Arguments: [--workers N] [--depth N] [--db JDBC_URL] [--db-user U] [--db-password P] [--url URL]...
 * [--hosts h1,h2] [--delay-ms N] [--pages N]. Without --url it crawls a generated site ({@link TestSite})
 * that it serves itself on the session's address, and checks the database against the site's own graph.
 */
public final class CrawlExample {
    private CrawlExample() {
    }

    /** How to crawl. Build with {@link #builder(List)}. */
    public record Options(List<String> startUrls, Set<String> allowedHosts, int maxDepth, String jdbcUrl, String dbUser,
                          String dbPassword, int workers, double cpu, double memoryGb, Duration delay,
                          Duration connectTimeout, Duration requestTimeout, int retries, Duration backoff,
                          String userAgent, String queue) {

        /** Start URLs; allowed hosts default to theirs, the database to SQLite in the session's directory. */
        public static Builder builder(List<String> startUrls) {
            return new Builder(startUrls);
        }

        /** The environment a worker gets: everything it needs, so it runs the same on any backend. */
        Map<String, String> workerEnvironment(String jdbc) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("CRAWL_QUEUE", queue);
            env.put("CRAWL_DB_URL", jdbc);
            if (dbUser != null) {
                env.put("CRAWL_DB_USER", dbUser);
            }
            if (dbPassword != null) {
                env.put("CRAWL_DB_PASSWORD", dbPassword);
            }
            env.put("CRAWL_ALLOWED_HOSTS", String.join(",", allowedHosts));
            env.put("CRAWL_MAX_DEPTH", Integer.toString(maxDepth));
            env.put("CRAWL_DELAY_MS", Long.toString(delay.toMillis()));
            env.put("CRAWL_CONNECT_TIMEOUT_MS", Long.toString(connectTimeout.toMillis()));
            env.put("CRAWL_REQUEST_TIMEOUT_MS", Long.toString(requestTimeout.toMillis()));
            env.put("CRAWL_RETRIES", Integer.toString(retries));
            env.put("CRAWL_BACKOFF_MS", Long.toString(backoff.toMillis()));
            env.put("CRAWL_USER_AGENT", userAgent);
            return env;
        }
    }

    /** Builds {@link Options}; the defaults are polite to real sites. */
    public static final class Builder {
        private final List<String> startUrls;
        private final Set<String> allowedHosts = new LinkedHashSet<>();
        private int maxDepth = 3;
        private String jdbcUrl;
        private String dbUser;
        private String dbPassword;
        private int workers = 3;
        private double cpu = 0.5;
        private double memoryGb = 0.5;
        private Duration delay = Duration.ofSeconds(1);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private int retries = 3;
        private Duration backoff = Duration.ofSeconds(1);
        private String userAgent = "cohort-crawler/0.1";
        private String queue = "crawl";

        private Builder(List<String> startUrls) {
            if (startUrls.isEmpty()) {
                throw new IllegalArgumentException("a crawl needs at least one start URL");
            }
            this.startUrls = List.copyOf(startUrls);
        }

        /** Hosts ("example.org", or "example.org:8080" for one port) whose pages are fetched; default: the start URLs'. */
        public Builder allowedHosts(Set<String> hosts) {
            hosts.forEach(h -> allowedHosts.add(h.toLowerCase(Locale.ROOT)));
            return this;
        }

        /** Links are followed up to this many steps from a start URL (default 3); a redirect is no step. */
        public Builder maxDepth(int depth) {
            if (depth < 0) {
                throw new IllegalArgumentException("maxDepth must be at least 0, got " + depth);
            }
            this.maxDepth = depth;
            return this;
        }

        /** Any JDBC URL (SQLite, PostgreSQL); default: SQLite at {@code <session dir>/crawl/pages.db}. */
        public Builder database(String jdbcUrl, String user, String password) {
            this.jdbcUrl = jdbcUrl;
            this.dbUser = user;
            this.dbPassword = password;
            return this;
        }

        public Builder workers(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("a crawl needs at least one worker, got " + n);
            }
            this.workers = n;
            return this;
        }

        public Builder resources(double cpu, double memoryGb) {
            this.cpu = cpu;
            this.memoryGb = memoryGb;
            return this;
        }

        /** Each worker's wait between two requests to one host (default 1 s; robots.txt's Crawl-delay if longer). */
        public Builder delay(Duration d) {
            this.delay = d;
            return this;
        }

        public Builder timeouts(Duration connect, Duration request) {
            this.connectTimeout = connect;
            this.requestTimeout = request;
            return this;
        }

        /** 5xx, 429, timeouts and broken connections are retried this often, waiting backoff, 2 x backoff, ... */
        public Builder retries(int retries, Duration backoff) {
            if (retries < 0) {
                throw new IllegalArgumentException("retries must be at least 0, got " + retries);
            }
            this.retries = retries;
            this.backoff = backoff;
            return this;
        }

        public Builder userAgent(String agent) {
            this.userAgent = agent;
            return this;
        }

        public Builder queue(String name) {
            this.queue = name;
            return this;
        }

        public Options build() {
            BasicURLNormalizer normalizer = BasicURLNormalizer.newBuilder().build();
            List<String> starts = new ArrayList<>();
            Set<String> hosts = new LinkedHashSet<>(allowedHosts);
            for (String u : startUrls) {
                String n = normalizer.filter(u);
                if (n == null || !(n.startsWith("http://") || n.startsWith("https://"))) {
                    throw new IllegalArgumentException("not an http(s) URL: " + u);
                }
                starts.add(n);
                if (allowedHosts.isEmpty()) {
                    hosts.add(URI.create(n).getHost().toLowerCase(Locale.ROOT));
                }
            }
            return new Options(List.copyOf(starts), Set.copyOf(hosts), maxDepth, jdbcUrl, dbUser, dbPassword, workers, cpu,
                    memoryGb, delay, connectTimeout, requestTimeout, retries, backoff, userAgent, queue);
        }
    }

    /** What the crawl did. */
    public record Summary(String database, long pagesStored, long redirects, long failed, long unfinished,
                          Map<String, Long> failureReasons,
                          Map<String, Long> pagesByWorker, Duration elapsed, QueueProgress queue,
                          List<DeadLetter> deadLetters, List<Worker> workers, boolean complete) {
    }

    public static void main(String[] args) throws IOException {
        Map<String, List<String>> a = arguments(args);
        Session session = Workers.session();
        List<String> urls = a.getOrDefault("url", List.of());
        int workers = Integer.parseInt(last(a, "workers", "3"));
        if (urls.isEmpty()) {
            int depth = Integer.parseInt(last(a, "depth", "8"));
            int pages = Integer.parseInt(last(a, "pages", "300"));
            try (TestSite site = TestSite.start(session.masterAddress(), 42, pages, Duration.ofSeconds(3))) {
                System.out.printf("serving a generated site of %d pages at %s (robots.txt, redirects, broken links,"
                        + " a slow and a flaky page, links to another host)%n", pages, site.root());
                Options o = Options.builder(List.of(site.root())).maxDepth(depth).workers(workers)
                        .database(last(a, "db", null), last(a, "db-user", null), last(a, "db-password", null))
                        .delay(Duration.ofMillis(Long.parseLong(last(a, "delay-ms", "5"))))
                        .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(1)).retries(2, Duration.ofMillis(100)).build();
                Summary s = run(session, o);
                boolean ok = s.complete() && checkAgainstSite(s, site, depth, o.dbUser(), o.dbPassword());
                if (!ok) {
                    System.exit(1);
                }
            }
        } else {
            Builder b = Options.builder(urls).workers(workers).maxDepth(Integer.parseInt(last(a, "depth", "2")))
                    .database(last(a, "db", null), last(a, "db-user", null), last(a, "db-password", null))
                    .delay(Duration.ofMillis(Long.parseLong(last(a, "delay-ms", "1000"))));
            if (a.containsKey("hosts")) {
                b.allowedHosts(Set.of(last(a, "hosts", "").split(",")));
            }
            Summary s = run(session, b.build());
            if (!s.complete()) {
                System.exit(1);
            }
        }
    }

    /** Crawls and waits until the crawl is over (no time limit). */
    public static Summary run(Session session, Options o) throws IOException {
        return start(session, o).await(Duration.ZERO);
    }

    /** Creates the tables, seeds the queue, and starts the workers; {@link Crawl#await} waits for the end. */
    public static Crawl start(Session session, Options o) throws IOException {
        return new Crawl(session, o, System.out);
    }

    /** A crawl under way. */
    public static final class Crawl {
        private final Session session;
        private final Options o;
        private final PrintStream out;
        private final WorkQueue queue;
        private final String jdbc;
        private final Path script;
        private final long started = System.nanoTime();
        private final List<Worker> workers = new ArrayList<>();

        Crawl(Session session, Options o, PrintStream out) throws IOException {
            this.session = session;
            this.o = o;
            this.out = out;
            Path dir = Files.createDirectories(session.directory().resolve("crawl"));
            this.jdbc = o.jdbcUrl() != null ? o.jdbcUrl() : "jdbc:sqlite:" + dir.resolve("pages.db");
            try (PageStore ignored = PageStore.open(jdbc, o.dbUser(), o.dbPassword())) {
                out.println("crawl: database " + jdbc + " (tables pages, links)");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot open the crawl's database " + jdbc + ": " + e.getMessage(), e);
            }
            this.script = extract(dir, "CrawlWorker.java");
            this.queue = session.queue(o.queue());
            for (String url : o.startUrls()) {
                // The workers' dedup key: "depth url" (a URL is queued once per depth it is found at).
                queue.putUnique("0 " + url, Map.of("url", url, "depth", 0));
            }
            out.printf("crawl: %d start URL(s), allowed hosts %s, depth limit %d, %d workers, %d ms between requests to"
                    + " a host per worker, User-Agent %s%n", o.startUrls().size(), o.allowedHosts(), o.maxDepth(),
                    o.workers(), o.delay().toMillis(), o.userAgent());
            addWorkers(o.workers());
        }

        /** Starts n more workers (to speed up, or to replace one that died). */
        public synchronized List<Worker> addWorkers(int n) {
            List<Worker> more = session.launch(LaunchRequest.builder().n(n).cpu(o.cpu()).memoryGb(o.memoryGb())
                    .program(Program.script(script.toString())).env(o.workerEnvironment(jdbc)).build());
            workers.addAll(more);
            return more;
        }

        /** The workers started for this crawl, as they are now. */
        public synchronized List<Worker> workers() {
            return workers.stream().map(w -> session.get(w.id())).toList();
        }

        /** The database's JDBC URL. */
        public String database() {
            return jdbc;
        }

        /**
         * Waits until the crawl is over, printing progress every two seconds, then closes the queue and
         * prints a summary. Over means: every item that was ever added is done (or dead), none is waiting
         * and none is in flight. Workers put links only while they hold an item, so from then on nothing
         * can be added. A zero timeout waits without limit; on a timeout, or when no worker is left while
         * work remains, the workers are stopped and the summary says the crawl is incomplete.
         */
        public Summary await(Duration timeout) {
            long deadline = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
            long nextPrint = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            boolean complete;
            String why = null;
            while (true) {
                QueueProgress p = queue.progress();
                if (p.ready() == 0 && p.inFlight() == 0 && p.done() + p.failed() == p.added()) {
                    complete = true;
                    break;
                }
                if (System.nanoTime() > deadline) {
                    complete = false;
                    why = "the crawl did not finish within " + timeout.toSeconds() + " s";
                    break;
                }
                if (workers().stream().allMatch(w -> w.status().isFinal())) {
                    complete = false;
                    why = "no crawl worker is running, and " + (p.ready() + p.inFlight()) + " URLs are left";
                    break;
                }
                if (System.nanoTime() >= nextPrint) {
                    out.println(progressLine(p));
                    nextPrint = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            queue.close();
            List<Worker> ours = workers();
            if (!complete) {
                out.println("crawl: incomplete: " + why + "; stopping its workers");
                session.stop(ours);
            }
            session.await(ours, true, Duration.ofSeconds(60));
            return summarize(complete);
        }

        private String progressLine(QueueProgress p) {
            String stored;
            try (PageStore db = PageStore.open(jdbc, o.dbUser(), o.dbPassword())) {
                Map<String, Long> n = db.countByOutcome();
                stored = String.format("%d pages stored, %d redirects, %d failed, %d being fetched", n.getOrDefault("ok", 0L),
                        n.getOrDefault("redirect", 0L), n.getOrDefault("failed", 0L), n.getOrDefault("pending", 0L));
            } catch (SQLException e) {
                stored = "database not readable now (" + e.getMessage() + ")";
            }
            return String.format("crawl: %s | queue: %d waiting, %d in flight, %d done | %.0f s", stored, p.ready(),
                    p.inFlight(), p.done(), (System.nanoTime() - started) / 1e9);
        }

        private Summary summarize(boolean complete) {
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
            QueueProgress p = queue.progress();
            List<DeadLetter> dead = queue.deadLetters();
            List<Worker> ours = workers();
            try (PageStore db = PageStore.open(jdbc, o.dbUser(), o.dbPassword())) {
                Map<String, Long> n = db.countByOutcome();
                long unfinished = n.getOrDefault("pending", 0L);
                Summary s = new Summary(jdbc, n.getOrDefault("ok", 0L), n.getOrDefault("redirect", 0L),
                        n.getOrDefault("failed", 0L), unfinished, db.failureReasons(), db.pagesByWorker(), elapsed, p, dead,
                        ours, complete && dead.isEmpty() && unfinished == 0);
                print(s);
                return s;
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the crawl's database " + jdbc + ": " + e.getMessage(), e);
            }
        }

        private void print(Summary s) {
            long ended = s.workers().stream().filter(w -> w.status() == io.cohort.Status.FAILED).count();
            out.println();
            out.printf("crawl %s in %.1f s with %d workers%s%n", s.complete() ? "finished" : "INCOMPLETE",
                    s.elapsed().toMillis() / 1000.0, s.workers().size(), ended > 0 ? " (" + ended + " failed)" : "");
            out.printf("  pages stored   %d%n", s.pagesStored());
            out.printf("  redirects      %d%n", s.redirects());
            out.printf("  failed         %d%n", s.failed());
            s.failureReasons().forEach((reason, count) -> out.printf("    %5d  %s%n", count, reason));
            if (s.unfinished() > 0) {
                out.printf("  unfinished     %d (outcome 'pending': claimed by an item that did not finish)%n", s.unfinished());
            }
            out.printf("  by worker      %s%n", s.pagesByWorker().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
            out.printf("  queue          %d URLs queued (a URL found again nearer the start is queued again), %d dead%n",
                    s.queue().added(), s.deadLetters().size());
            for (DeadLetter d : s.deadLetters()) {
                out.printf("    dead: %s: %s%n", d.json(), firstLine(d.error()));
            }
            out.printf("  database       %s%n", s.database());
            try (PageStore db = PageStore.open(s.database(), o.dbUser(), o.dbPassword())) {
                for (PageStore.Row r : db.sample(5)) {
                    out.printf("    depth %d  %-40s %-14s %3d links  %s%n", r.depth(), r.url(), r.title(), r.links(), r.worker());
                }
            } catch (SQLException e) {
                out.println("    (cannot read a sample: " + e.getMessage() + ")");
            }
            if (s.database().startsWith("jdbc:sqlite:")) {
                out.printf("  look inside    sqlite3 %s \"SELECT url, title FROM pages WHERE outcome = 'ok' LIMIT 5\"%n",
                        s.database().substring("jdbc:sqlite:".length()));
            }
        }
    }

    /**
     * Compares the database with what the site says a correct crawl stores: prints the result, and
     * returns whether every reachable allowed page within the depth is stored exactly once, and nothing else.
     */
    static boolean checkAgainstSite(Summary s, TestSite site, int depth, String dbUser, String dbPassword) {
        TestSite.Expectation e = site.expect(depth);
        try (PageStore db = PageStore.open(s.database(), dbUser, dbPassword)) {
            Map<String, PageStore.Row> rows = db.rows();
            Map<String, Integer> got = new LinkedHashMap<>();
            // Rows of this site only: a database given with --db may hold earlier crawls.
            rows.forEach((u, r) -> {
                if (u.startsWith(site.root())) {
                    got.put(r.outcome() + " " + u, r.depth());
                }
            });
            Map<String, Integer> want = new LinkedHashMap<>();
            e.pages().forEach((u, d) -> want.put("ok " + u, d));
            e.redirects().forEach((u, d) -> want.put("redirect " + u, d));
            e.failed().forEach((u, d) -> want.put("failed " + u, d));
            boolean same = got.equals(want) && db.duplicates().isEmpty();
            System.out.printf("checked against the site's own graph: %s (%d pages, %d redirects, %d failures expected"
                    + " within depth %d; %d pages beyond it)%n", same ? "every reachable allowed page stored exactly once,"
                    + " nothing outside the limits" : "MISMATCH", e.pages().size(), e.redirects().size(), e.failed().size(),
                    depth, e.beyondDepth().size());
            if (!same) {
                Set<String> missing = new LinkedHashSet<>(want.keySet());
                missing.removeAll(got.keySet());
                Set<String> extra = new LinkedHashSet<>(got.keySet());
                extra.removeAll(want.keySet());
                System.out.println("  missing: " + missing);
                System.out.println("  extra:   " + extra);
            }
            return same;
        } catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private static Map<String, List<String>> arguments(String[] args) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --name value pairs (--workers, --depth, --db, --db-user,"
                        + " --db-password, --url, --hosts, --delay-ms, --pages), got '" + args[i] + "'");
            }
            out.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[++i]);
        }
        return out;
    }

    private static String last(Map<String, List<String>> a, String name, String fallback) {
        List<String> v = a.get(name);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    private static Path extract(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = CrawlExample.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("resource " + name + " is missing from the examples jar"));
            }
            Files.write(file, in.readAllBytes());
        }
        return file;
    }
}
