package io.cohort.examples.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Session;
import io.cohort.SessionOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crawl into a real PostgreSQL server: the test starts a throwaway cluster on a free port of
 * 127.0.0.1 (scripts/postgres-for-tests), the workers get its JDBC URL from their environment, and the
 * database must hold exactly what the site says a correct crawl stores. Skipped where PostgreSQL is not
 * installed, except under CI=true, where that fails the test.
 */
class CrawlPostgresTest {
    static final int DEPTH = 8;
    static final int RETRIES = 2; // /flaky answers 503 twice
    static final long DELAY_MS = 5;

    @TempDir
    Path home;

    @Test
    void twoWorkersStoreEveryReachableAllowedPageExactlyOnceInPostgres() throws Exception {
        try (PostgresCluster pg = PostgresCluster.start("crawl");
             Session session = Session.open(SessionOptions.builder().home(home).cpuOvercommit(8).build());
             TestSite site = TestSite.start(session.masterAddress(), 11, 160, Duration.ofSeconds(4))) {
            CrawlChecks.Arrivals arrivals = new CrawlChecks.Arrivals();
            site.onRequest(arrivals::record);
            CrawlExample.Options options = CrawlExample.Options.builder(List.of(site.root())).maxDepth(DEPTH).workers(2)
                    .database(pg.jdbcUrl(), pg.user(), null).delay(Duration.ofMillis(DELAY_MS))
                    .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2)).retries(RETRIES, Duration.ofMillis(50)).build();

            CrawlExample.Summary s = CrawlExample.start(session, options).await(Duration.ofMinutes(4));

            assertThat(s.database()).isEqualTo(pg.jdbcUrl());
            CrawlChecks.assertMatchesSite(s, site, DEPTH, RETRIES, DELAY_MS, arrivals, pg.user());
            // It really is PostgreSQL, and the rows are there for any client.
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), null);
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT version(), (SELECT COUNT(*) FROM pages WHERE outcome = 'ok')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).startsWith("PostgreSQL");
                assertThat(rs.getLong(2)).isEqualTo(s.pagesStored()).isPositive();
            }
        }
    }
}
