package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Session;
import io.cohort.SessionOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java all-reduce recipe: four Java workers meet at rank 0 through the rendezvous and agree on the sum. */
class AllReduceExampleTest {
    @TempDir
    Path home;

    @Test
    void fourJavaRanksAllReduceThroughTheRendezvous() throws Exception {
        try (Session s = Session.open(SessionOptions.builder().home(home).console(null).cpuOvercommit(16)
                .stopGrace(Duration.ofSeconds(2)).build())) {
            List<String> lines = AllReduceExample.run(s, 4, System.out);
            assertThat(lines).containsExactly("rank 0 of 4: sum 30", "rank 1 of 4: sum 30", "rank 2 of 4: sum 30",
                    "rank 3 of 4: sum 30");
        }
    }
}
