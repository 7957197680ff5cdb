package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Session;
import io.cohort.SessionOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java cluster recipe: three Hazelcast members on workers form one cluster from the rendezvous. */
class HazelcastExampleTest {
    @TempDir
    Path home;

    @Test
    void threeHazelcastMembersFormOneClusterFromTheRendezvous() throws Exception {
        try (Session s = Session.open(SessionOptions.builder().home(home).console(null).cpuOvercommit(16)
                .stopGrace(Duration.ofSeconds(2)).build())) {
            List<String> lines = HazelcastExample.run(s, 3, System.out);
            assertThat(lines).containsExactly(
                    "member 0 sees a cluster of 3 members, ranks summing to 3",
                    "member 1 sees a cluster of 3 members, ranks summing to 3",
                    "member 2 sees a cluster of 3 members, ranks summing to 3");
        }
    }
}
