package io.cohort.examples.crawl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A web site to crawl, generated from a seed and served on one address (the session's master
 * address, so that workers reach it wherever they run). It knows its own link graph, so a test can
 * compute exactly which pages a correct crawl stores ({@link #expect(int)}).
 *
 * <p>What is on it:
 * <ul>
 *   <li>{@code /} (the start page) and {@code /p/0} .. {@code /p/N-1}: HTML pages with a title, some
 *       text and links, mostly forward (so the site is deeper than a crawl's depth limit), some back
 *       (cycles), written in different forms (relative, absolute, with a fragment);</li>
 *   <li>{@code /missing/K}: broken links (404);</li>
 *   <li>{@code /moved/K} (301) and {@code /temp/K} (302): redirects to a page, and {@code /away} (302) to a
 *       page on a host that is not allowed;</li>
 *   <li>{@code /slow}: answers only after {@code slowDelay} (longer than the crawl's request timeout in the
 *       tests, so it is retried and finally recorded as failed: timed out);</li>
 *   <li>{@code /flaky}: answers 503 twice, then the page;</li>
 *   <li>{@code /private/K}: disallowed by {@code /robots.txt}; never to be fetched;</li>
 *   <li>links to {@code http://localhost:PORT/...}: the same server under another host name, outside the
 *       allowed hosts; never to be fetched.</li>
 * </ul>
 * Every request is counted by host and path, and can be watched ({@link #onRequest}).
 */
public final class TestSite implements AutoCloseable {
    /** How many times /flaky answers 503 before it answers the page. */
    public static final int FLAKY_FAILURES = 2;

    /** One request the site received: the Host header, the path, and the User-Agent. */
    public record Request(String host, String path, String userAgent) {
    }

    /** What a correct crawl from {@link #root()} with a depth limit stores: URL to depth, by outcome. */
    public record Expectation(Map<String, Integer> pages, Map<String, Integer> redirects, Map<String, Integer> failed,
                              Set<String> beyondDepth) {
        public int total() {
            return pages.size() + redirects.size() + failed.size();
        }
    }

    private enum Kind { PAGE, MISSING, REDIRECT, SLOW, DISALLOWED, FOREIGN }

    /** A link as the page writes it ({@code href}) and the path it leads to on this site. */
    private record Link(String href, String path) {
    }

    private final HttpServer server;
    private final ExecutorService handlers = Executors.newCachedThreadPool(daemon("test-site"));
    private final CountDownLatch closing = new CountDownLatch(1);
    private final String address;
    private final int port;
    private final int pages;
    private final Duration slowDelay;
    private final Map<String, List<Link>> links = new HashMap<>();
    private final Map<String, String> redirects = new HashMap<>();
    private final Map<String, String> titles = new HashMap<>();
    private final Map<String, String> texts = new HashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicInteger flakyCalls = new AtomicInteger();
    private final List<Consumer<Request>> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> userAgents = ConcurrentHashMap.newKeySet();

    private TestSite(String address, long seed, int pages, Duration slowDelay) throws IOException {
        if (pages < 40) {
            throw new IllegalArgumentException("the test site needs at least 40 pages, got " + pages);
        }
        this.pages = pages;
        this.slowDelay = slowDelay;
        this.address = address;
        HttpServer bound = HttpServer.create(new InetSocketAddress(address, 0), 64);
        this.server = bound;
        this.port = bound.getAddress().getPort();
        generate(new Random(seed));
        server.createContext("/", this::handle);
        server.setExecutor(handlers);
        server.start();
    }

    /**
     * Serves a site of {@code pages} generated pages on {@code address} (a free port), generated from
     * {@code seed}; {@code /slow} answers after {@code slowDelay}.
     */
    public static TestSite start(String address, long seed, int pages, Duration slowDelay) throws IOException {
        return new TestSite(address, seed, pages, slowDelay);
    }

    /** The start page. */
    public String root() {
        return url("/");
    }

    /** host:port of the site: the one host a crawl of it should allow. */
    public String authority() {
        return hostForUrl(address) + ":" + port;
    }

    /** The host name under which the site's foreign links point back at it; a crawl must not allow it. */
    public String foreignHost() {
        return "localhost".equals(address) ? "127.0.0.1" : "localhost";
    }

    /** The absolute URL of a path of this site, as a crawler normalises it. */
    public String url(String path) {
        return "http://" + authority() + path;
    }

    public int pageCount() {
        return pages;
    }

    /** The normalised absolute URLs a page links to, in order, duplicates removed (fragments dropped). */
    public List<String> linksOf(String path) {
        List<String> out = new ArrayList<>();
        for (Link l : links.getOrDefault(path, List.of())) {
            String u = l.path.startsWith("http:") ? l.path : url(l.path);
            if (!out.contains(u)) {
                out.add(u);
            }
        }
        return out;
    }

    public String titleOf(String path) {
        return titles.get(path);
    }

    /** Calls the listener for every request from now on, on the server's threads. */
    public void onRequest(Consumer<Request> listener) {
        listeners.add(listener);
    }

    /** How many requests reached a path of this site under its own host name. */
    public int hits(String path) {
        AtomicInteger n = hits.get(authority() + path);
        return n == null ? 0 : n.get();
    }

    /** Every request counted, as "host:port/path" to count. */
    public Map<String, Integer> allHits() {
        Map<String, Integer> out = new TreeMap<>();
        hits.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** The User-Agent headers seen. */
    public Set<String> userAgents() {
        return Set.copyOf(userAgents);
    }

    /**
     * The exact outcome of a correct crawl from the start page with depth limit {@code maxDepth}: a
     * breadth-first search where a link costs one level and a redirect none (a redirect is the page it
     * leads to), that does not follow disallowed or foreign links, nor links out of pages that fail.
     */
    public Expectation expect(int maxDepth) {
        Map<String, Integer> depth = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>();
        depth.put("/", 0);
        queue.add("/");
        while (!queue.isEmpty()) {
            // 0-1 BFS: a redirect costs nothing and goes to the front, a link costs one level and goes to the back.
            String path = queue.poll();
            int d = depth.get(path);
            Kind kind = kind(path);
            if (kind == Kind.REDIRECT) {
                String target = redirects.get(path);
                if (followable(target) && depth.getOrDefault(target, Integer.MAX_VALUE) > d) {
                    depth.put(target, d);
                    queue.addFirst(target);
                }
            } else if (kind == Kind.PAGE) {
                for (Link l : links.get(path)) {
                    if (followable(l.path) && depth.getOrDefault(l.path, Integer.MAX_VALUE) > d + 1) {
                        depth.put(l.path, d + 1);
                        queue.addLast(l.path);
                    }
                }
            }
        }
        Map<String, Integer> ok = new TreeMap<>();
        Map<String, Integer> moved = new TreeMap<>();
        Map<String, Integer> failed = new TreeMap<>();
        Set<String> beyond = new java.util.TreeSet<>();
        depth.forEach((path, d) -> {
            if (d > maxDepth) {
                beyond.add(url(path));
                return;
            }
            switch (kind(path)) {
                case PAGE -> ok.put(url(path), d);
                case REDIRECT -> moved.put(url(path), d);
                default -> failed.put(url(path), d);
            }
        });
        return new Expectation(Collections.unmodifiableMap(ok), Collections.unmodifiableMap(moved),
                Collections.unmodifiableMap(failed), Collections.unmodifiableSet(beyond));
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        handlers.shutdownNow();
    }

    // ---- the generated graph

    private boolean followable(String path) {
        Kind k = kind(path);
        return k != Kind.FOREIGN && k != Kind.DISALLOWED;
    }

    private Kind kind(String path) {
        if (path.startsWith("http:")) {
            return Kind.FOREIGN;
        } else if (path.startsWith("/private/")) {
            return Kind.DISALLOWED;
        } else if (path.startsWith("/missing/")) {
            return Kind.MISSING;
        } else if (redirects.containsKey(path)) {
            return Kind.REDIRECT;
        } else if (path.equals("/slow")) {
            return Kind.SLOW;
        }
        return Kind.PAGE;
    }

    private void generate(Random r) {
        String[] words = {"queue", "worker", "lease", "session", "crawl", "page", "link", "robot", "delay", "retry",
                "depth", "host", "store", "index", "graph", "cycle", "seed", "fetch", "parse", "title"};
        List<String> all = new ArrayList<>();
        all.add("/");
        all.add("/flaky");
        for (int i = 0; i < pages; i++) {
            all.add("/p/" + i);
        }
        for (String path : all) {
            List<Link> out = new ArrayList<>();
            int i = path.startsWith("/p/") ? Integer.parseInt(path.substring(3)) : -1;
            if (path.equals("/")) {
                out.add(new Link("p/0", "/p/0"));
                out.add(new Link("/p/1#top", "/p/1"));
                out.add(new Link("/private/index", "/private/index"));
            } else if (path.equals("/flaky")) {
                out.add(new Link("/p/" + (pages / 2), "/p/" + (pages / 2)));
            } else {
                // Forward links: the site is deeper than any depth limit a test uses.
                for (int step : new int[] {1, 2 + r.nextInt(4)}) {
                    if (i + step < pages) {
                        out.add(page(i + step, r));
                    }
                }
                if (r.nextInt(3) == 0 && i + 6 < pages) {
                    out.add(page(i + 6 + r.nextInt(Math.min(20, pages - i - 6)), r));
                }
                // A link back: cycles.
                if (i > 0) {
                    out.add(page(r.nextInt(i), r));
                }
                if (i % 7 == 3) {
                    out.add(new Link("/missing/" + i, "/missing/" + i));
                }
                if (i % 11 == 5) {
                    out.add(new Link("/private/" + i, "/private/" + i));
                }
                if (i % 9 == 4) {
                    String foreign = "http://" + foreignHost() + ":" + port + "/p/" + r.nextInt(pages);
                    out.add(new Link(foreign, foreign));
                }
                if (i % 13 == 6) {
                    String from = (i % 2 == 0 ? "/moved/" : "/temp/") + i;
                    redirects.put(from, "/p/" + (i + 3 + r.nextInt(10)) % pages);
                    out.add(new Link(from, from));
                }
                switch (i) {
                    case 2 -> out.add(new Link("/flaky", "/flaky"));
                    case 4 -> out.add(new Link("/slow", "/slow"));
                    case 5 -> {
                        String away = "http://" + foreignHost() + ":" + port + "/p/0";
                        redirects.put("/away", away);
                        out.add(new Link("/away", "/away"));
                    }
                    default -> {
                    }
                }
            }
            links.put(path, out);
            titles.put(path, path.equals("/") ? "Start" : path.equals("/flaky") ? "Flaky page" : "Page " + i);
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 12 + r.nextInt(20); w++) {
                text.append(words[r.nextInt(words.length)]).append(' ');
            }
            texts.put(path, text.toString().trim());
        }
        // The disallowed pages link on (a crawler that fetched them would find more), and so would the slow page.
        for (String path : List.copyOf(links.keySet())) {
            for (Link l : links.get(path)) {
                if (l.path.startsWith("/private/")) {
                    links.putIfAbsent(l.path, List.of(new Link("/p/" + (pages - 1), "/p/" + (pages - 1))));
                    titles.putIfAbsent(l.path, "Private");
                    texts.putIfAbsent(l.path, "not for robots");
                }
            }
        }
        links.put("/slow", List.of(new Link("/p/" + (pages - 2), "/p/" + (pages - 2))));
        titles.put("/slow", "Slow page");
        texts.put("/slow", "worth the wait?");
    }

    /** A link to page j, written in one of the forms a real site uses. */
    private Link page(int j, Random r) {
        String path = "/p/" + j;
        String href = switch (r.nextInt(4)) {
            case 0 -> path;
            case 1 -> "../p/" + j;                         // relative to /p/i
            case 2 -> "http://" + authority() + path;      // absolute
            default -> path + "#section-" + r.nextInt(3);  // a fragment, dropped when normalised
        };
        return new Link(href, path);
    }

    // ---- serving

    private void handle(HttpExchange ex) throws IOException {
        String host = ex.getRequestHeaders().getFirst("Host");
        String path = ex.getRequestURI().getRawPath();
        String agent = ex.getRequestHeaders().getFirst("User-Agent");
        hits.computeIfAbsent(host + path, k -> new AtomicInteger()).incrementAndGet();
        if (agent != null) {
            userAgents.add(agent);
        }
        Request request = new Request(host, path, agent);
        listeners.forEach(l -> l.accept(request));
        if (!authority().equals(host)) {
            // A foreign host name: a crawl that honours its allowed hosts never comes here.
            send(ex, 200, "text/html", page("Foreign", "you should not be here", List.of()));
        } else if (path.equals("/robots.txt")) {
            send(ex, 200, "text/plain", "User-agent: *\nDisallow: /private/\n\nUser-agent: evilbot\nDisallow: /\n");
        } else if (redirects.containsKey(path)) {
            String target = redirects.get(path);
            ex.getResponseHeaders().set("Location", target.startsWith("http:") ? target : url(target));
            send(ex, path.startsWith("/moved/") ? 301 : 302, "text/html", "");
        } else if (path.equals("/slow")) {
            // Holds a server thread for the delay (or until the site closes), then answers, if anyone still listens.
            try {
                if (closing.await(slowDelay.toMillis(), TimeUnit.MILLISECONDS)) {
                    ex.close();
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.close();
                return;
            }
            try {
                send(ex, 200, "text/html", page(titles.get(path), texts.get(path), links.get(path)));
            } catch (IOException e) {
                // The crawler gave up waiting and closed the connection, as it should.
            }
        } else if (path.equals("/flaky") && flakyCalls.incrementAndGet() <= FLAKY_FAILURES) {
            send(ex, 503, "text/plain", "busy, try again later");
        } else if (links.containsKey(path)) {
            send(ex, 200, "text/html; charset=utf-8", page(titles.get(path), texts.get(path), links.get(path)));
        } else {
            send(ex, 404, "text/html", page("Not found", "no page at " + path, List.of()));
        }
    }

    private static String page(String title, String text, List<Link> links) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
                .append(title).append("</title></head>\n<body>\n<h1>").append(title).append("</h1>\n<p>").append(text)
                .append("</p>\n<ul>\n");
        for (Link l : links) {
            html.append("<li><a href=\"").append(l.href).append("\">").append(l.path).append("</a></li>\n");
        }
        return html.append("</ul>\n</body></html>\n").toString();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String hostForUrl(String address) {
        return address.contains(":") ? "[" + address + "]" : address;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The depth of every page from the start (for choosing a depth limit): how many pages at each depth. */
    public Map<Integer, Integer> depthHistogram() {
        Map<Integer, Integer> out = new TreeMap<>();
        Expectation all = expect(Integer.MAX_VALUE);
        Map<String, Integer> every = new LinkedHashMap<>(all.pages());
        every.putAll(all.redirects());
        every.putAll(all.failed());
        every.values().forEach(d -> out.merge(d, 1, Integer::sum));
        return out;
    }
}
