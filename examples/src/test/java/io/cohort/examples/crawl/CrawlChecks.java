package io.cohort.examples.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What every crawl of the test site must satisfy, whatever the database and however many workers died. */
final class CrawlChecks {
    private static final Pattern WORKER = Pattern.compile("^cohort-crawler/0\\.1 \\(\\+cohort worker (w\\d+)\\)$");

    private CrawlChecks() {
    }

    /** The worker id in a crawl worker's User-Agent, or null. */
    static String workerOf(String userAgent) {
        Matcher m = userAgent == null ? null : WORKER.matcher(userAgent);
        return m != null && m.matches() ? m.group(1) : null;
    }

    /** Arrival times (ms) of each worker's requests, to check the per-host delay. */
    static final class Arrivals {
        final Map<String, List<Long>> byWorker = new ConcurrentHashMap<>();

        void record(TestSite.Request r) {
            String w = workerOf(r.userAgent());
            if (w != null) {
                List<Long> times = byWorker.computeIfAbsent(w, k -> new ArrayList<>());
                synchronized (times) {
                    times.add(System.nanoTime() / 1_000_000);
                }
            }
        }
    }

    /**
     * Every reachable allowed page within the depth is stored exactly once, at its breadth-first depth,
     * with its title and links; redirects and failures are recorded with their reason; nothing outside the
     * limits is stored or even fetched.
     */
    static void assertMatchesSite(CrawlExample.Summary s, TestSite site, int depth, int retries, long delayMs,
                                  Arrivals arrivals, String dbUser) throws SQLException {
        TestSite.Expectation e = site.expect(depth);
        assertThat(e.beyondDepth()).as("the site is deeper than the limit, so the limit is tested").hasSizeGreaterThan(20);
        assertThat(s.complete()).isTrue();
        assertThat(s.queue().drained()).isTrue();
        assertThat(s.deadLetters()).isEmpty();

        try (PageStore db = PageStore.open(s.database(), dbUser, null)) {
            Map<String, PageStore.Row> rows = db.rows();
            assertThat(db.duplicates()).isEmpty();
            Map<String, Integer> got = new TreeMap<>();
            rows.forEach((u, r) -> got.put(r.outcome() + " " + u, r.depth()));
            Map<String, Integer> want = new TreeMap<>();
            e.pages().forEach((u, d) -> want.put("ok " + u, d));
            e.redirects().forEach((u, d) -> want.put("redirect " + u, d));
            e.failed().forEach((u, d) -> want.put("failed " + u, d));
            // Same URLs, same outcomes, and each at its shortest depth: the crawl's depth limit is exact.
            assertThat(got).isEqualTo(want);
            assertThat(s.pagesStored()).isEqualTo(e.pages().size());
            assertThat(s.redirects()).isEqualTo(e.redirects().size());
            assertThat(s.failed()).isEqualTo(e.failed().size());

            for (String url : e.pages().keySet()) {
                String path = URI.create(url).getPath();
                PageStore.Row r = rows.get(url);
                assertThat(r.status()).as(url).isEqualTo(200);
                assertThat(r.title()).as(url).isEqualTo(site.titleOf(path));
                assertThat(r.error()).as(url).isNull();
                assertThat(db.linksOf(url)).as(url).isEqualTo(site.linksOf(path).stream().sorted().toList());
                assertThat(r.links()).as(url).isEqualTo(site.linksOf(path).size());
            }
            assertThat(db.textOf(site.root())).contains("Start");
            for (String url : e.redirects().keySet()) {
                assertThat(rows.get(url).status()).as(url).isIn(301, 302);
                assertThat(rows.get(url).redirectTo()).as(url).startsWith("http://");
            }
            for (String url : e.failed().keySet()) {
                PageStore.Row r = rows.get(url);
                if (url.contains("/missing/")) {
                    // Final at once; a retry only when an earlier try timed out (a very busy machine).
                    assertThat(r.status()).as(url).isEqualTo(404);
                    assertThat(r.error()).as(url).matches("HTTP 404( after \\d+ tries)?");
                } else {
                    assertThat(url).isEqualTo(site.url("/slow"));
                    assertThat(r.status()).isNull();
                    assertThat(r.error()).startsWith("timed out after").endsWith("(" + (retries + 1) + " tries)");
                    assertThat(r.tries()).isEqualTo(retries + 1);
                }
            }
            assertThat(rows.values()).as("a 404 is not retried")
                    .anyMatch(r -> "HTTP 404".equals(r.error()) && r.tries() == 1);
            // The flaky page: 503 twice, retried, stored. (It may have been fetched for two depths at once, so the
            // row's own tries may count fewer than the site's answers.)
            PageStore.Row flaky = rows.get(site.url("/flaky"));
            assertThat(flaky.outcome()).isEqualTo("ok");
            assertThat(flaky.status()).isEqualTo(200);
            assertThat(site.hits("/flaky")).isGreaterThanOrEqualTo(TestSite.FLAKY_FAILURES + 1);
        }

        // Nothing outside the limits was even fetched: no disallowed page, no foreign host, nothing beyond the depth.
        Map<String, Integer> hits = site.allHits();
        assertThat(hits.keySet()).noneMatch(k -> k.contains("/private/"));
        assertThat(hits.keySet()).allMatch(k -> k.startsWith(site.authority() + "/"));
        for (String url : e.beyondDepth()) {
            assertThat(site.hits(URI.create(url).getPath())).as(url + " is beyond the depth limit").isZero();
        }
        for (String url : e.pages().keySet()) {
            assertThat(site.hits(URI.create(url).getPath())).as(url).isPositive();
        }
        assertThat(site.hits("/robots.txt")).isBetween(1, s.workers().size());
        assertThat(site.userAgents()).isNotEmpty().allMatch(a -> workerOf(a) != null);

        // Politeness: each worker leaves at least the delay between two requests to the host.
        arrivals.byWorker.forEach((worker, times) -> {
            synchronized (times) {
                List<Long> sorted = times.stream().sorted().toList();
                for (int i = 1; i < sorted.size(); i++) {
                    assertThat(sorted.get(i) - sorted.get(i - 1)).as(worker + "'s gap before request " + i)
                            .isGreaterThanOrEqualTo(delayMs - 2);
                }
            }
        });
    }
}
