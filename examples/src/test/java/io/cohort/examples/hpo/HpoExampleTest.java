package io.cohort.examples.hpo;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Result;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hyperparameter search, end to end, on two real workers. */
class HpoExampleTest {
    @TempDir
    Path home;

    @Test
    void theSearchBeatsTheBaselineStoresEveryPointOnceAndTheBestModelReloads() throws IOException {
        // A stump (one split) is the baseline any search should beat.
        double baseline = HpoTask.trainAndEvaluate(new HpoTask.Params(1, 1)).accuracy();
        try (Session session = Session.open(SessionOptions.builder().home(home).cpuOvercommit(4).build())) {
            HpoExample.Summary s = HpoExample.run(session, 2);

            assertThat(s.queue().drained()).isTrue();
            assertThat(s.queue().failed()).isZero();
            List<HpoTask.Params> grid = HpoTask.grid();
            assertThat(s.leaderboard()).hasSize(grid.size());
            assertThat(s.leaderboard().stream().map(Result::key).collect(Collectors.toSet()))
                    .isEqualTo(grid.stream().map(p -> "hpo/" + p.name()).collect(Collectors.toSet()));
            assertThat(session.snapshots().list()).extracting(Snapshot::name).hasSize(grid.size());

            assertThat(HpoExample.accuracy(s.best())).isGreaterThan(baseline + 0.05);
            assertThat(s.reloadedAccuracy()).isEqualTo(HpoExample.accuracy(s.best()));
            Map<?, ?> best = (Map<?, ?>) s.best().value();
            assertThat(((Number) best.get("maxDepth")).intValue()).isGreaterThan(1);

            byte[] png = Files.readAllBytes(s.chart());
            assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
        }
    }
}
