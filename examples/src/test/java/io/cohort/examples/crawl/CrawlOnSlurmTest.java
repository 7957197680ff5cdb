package io.cohort.examples.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Session;
import io.cohort.Worker;
import io.cohort.slurm.TestSlurm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crawl, unchanged, on a real two-node Slurm: the session serves the site on its address on the
 * bridge, and workers on both nodes crawl it across the network into the session's SQLite file.
 */
class CrawlOnSlurmTest {
    static final int DEPTH = 8;
    static final int RETRIES = 2;
    static final long DELAY_MS = 5;

    @TempDir
    Path home;

    @Test
    void workersOnTwoHostsStoreEveryReachableAllowedPageOnce() throws Exception {
        Path conf = TestSlurm.networkConf();
        String id;
        try (Session session = Session.open(TestSlurm.networkOptions(home).console(null).build());
             TestSite site = TestSite.start(session.masterAddress(), 11, 160, Duration.ofSeconds(5))) {
            id = session.id();
            CrawlChecks.Arrivals arrivals = new CrawlChecks.Arrivals();
            site.onRequest(arrivals::record);
            CrawlExample.Options options = CrawlExample.Options.builder(List.of(site.root())).maxDepth(DEPTH).workers(3)
                    .delay(Duration.ofMillis(DELAY_MS)).timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2))
                    .retries(RETRIES, Duration.ofMillis(50)).build();
            CrawlExample.Summary s = CrawlExample.run(session, options);
            CrawlChecks.assertMatchesSite(s, site, DEPTH, RETRIES, DELAY_MS, arrivals, null);
            assertThat(s.workers()).extracting(Worker::ipAddress).allSatisfy(a -> assertThat(a).isIn(Set.of("10.201.0.11", "10.201.0.12")));
        }
        assertThat(TestSlurm.liveJobs(conf, id)).isEmpty();
    }
}
