package io.cohort.examples.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crawl, end to end, into SQLite: three real workers crawl a site of 300 generated pages that the
 * test serves on the session's address, and one of them is killed (SIGKILL) while it fetches a page.
 */
class CrawlExampleTest {
    static final int DEPTH = 10;
    static final int RETRIES = 2;
    static final long DELAY_MS = 10;

    @TempDir
    Path home;

    @Test
    void everyReachableAllowedPageIsStoredExactlyOnceEvenWhenAWorkerIsKilledMidItem() throws Exception {
        try (Session session = Session.open(SessionOptions.builder().home(home).cpuOvercommit(8).build());
             TestSite site = TestSite.start(session.masterAddress(), 7, 300, Duration.ofSeconds(5))) {
            CrawlChecks.Arrivals arrivals = new CrawlChecks.Arrivals();
            site.onRequest(arrivals::record);
            // The worker that asks for /slow holds that item for seconds: kill it then, mid-item.
            CompletableFuture<String> slowFetcher = new CompletableFuture<>();
            site.onRequest(r -> {
                if (r.path().equals("/slow") && CrawlChecks.workerOf(r.userAgent()) != null) {
                    slowFetcher.complete(CrawlChecks.workerOf(r.userAgent()));
                }
            });

            CrawlExample.Options options = CrawlExample.Options.builder(List.of(site.root())).maxDepth(DEPTH).workers(3)
                    .delay(Duration.ofMillis(DELAY_MS)).timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2))
                    .retries(RETRIES, Duration.ofMillis(50)).build();
            assertThat(options.allowedHosts()).containsExactly(session.masterAddress());
            CrawlExample.Crawl crawl = CrawlExample.start(session, options);

            String victim = slowFetcher.get(2, TimeUnit.MINUTES);
            Worker w = session.get(victim);
            assertThat(ProcessHandle.of(w.pid())).isPresent().get().matches(ProcessHandle::destroyForcibly); // SIGKILL
            await().atMost(Duration.ofMinutes(1)).until(() -> session.get(victim).status().isFinal());
            crawl.addWorkers(1);

            CrawlExample.Summary s = crawl.await(Duration.ofMinutes(4));

            assertThat(session.get(victim).status()).isEqualTo(Status.FAILED);
            assertThat(s.workers()).hasSize(4);
            CrawlChecks.assertMatchesSite(s, site, DEPTH, RETRIES, DELAY_MS, arrivals, null);
            // The killed worker's item came back and another worker finished it.
            try (PageStore db = PageStore.open(s.database(), null, null)) {
                assertThat(db.rows().get(site.url("/slow")).worker()).isNotEqualTo(victim);
            }
            assertThat(site.hits("/slow")).isGreaterThanOrEqualTo(1 + RETRIES + 1);
            assertThat(s.pagesByWorker().keySet()).hasSizeGreaterThanOrEqualTo(2);
            assertThat(s.database()).startsWith("jdbc:sqlite:" + session.directory());
            assertThat(Files.exists(session.directory().resolve("crawl").resolve("pages.db"))).isTrue();
        }
    }
}
