package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Kernel;
import io.cohort.Result;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.examples.hpo.HpoExample;
import io.cohort.examples.hpo.HpoTask;
import io.cohort.slurm.TestSlurm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples, unchanged, on a real Slurm: only the session's backend differs. Hello world and the
 * hyperparameter search run on the one-node cluster; the network examples on the two-node one, so
 * that the master address and the workers' addresses are crossed over a network.
 */
class SlurmExamplesTest {
    static final Set<String> NODES = Set.of("10.201.0.11", "10.201.0.12");

    @TempDir
    Path home;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    Session session;
    Path conf;

    Session oneNode() {
        conf = TestSlurm.conf();
        session = Session.open(TestSlurm.options(home).console(new PrintStream(console, true, StandardCharsets.UTF_8)).build());
        return session;
    }

    Session twoNodes() {
        conf = TestSlurm.networkConf();
        session = Session.open(TestSlurm.networkOptions(home).console(new PrintStream(console, true, StandardCharsets.UTF_8)).build());
        return session;
    }

    @AfterEach
    void close() {
        if (session != null) {
            session.close();
            assertThat(TestSlurm.liveJobs(conf, session.id())).isEmpty();
        }
    }

    @Test
    void helloWorld() {
        Session s = oneNode();
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        HelloExample.Summary r = HelloExample.run(s, 3, new PrintStream(summary, true, StandardCharsets.UTF_8));
        assertThat(r.ok()).as(console.toString(StandardCharsets.UTF_8)).isTrue();
        for (Worker w : r.workers()) {
            // The console is printed by its own thread: its last lines may follow the await by a moment.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(console.toString(StandardCharsets.UTF_8))
                            .contains("[" + w.id() + "] Hello from worker " + w.id() + " at " + w.ipAddress()));
            assertThat(w.notes()).anySatisfy(n -> assertThat(n).startsWith("Slurm job "));
        }
        assertThat(summary.toString(StandardCharsets.UTF_8)).contains("3 workers, 3 succeeded, 0 failed");
    }

    @Test
    void theMasterAndWorkerSocketsAcrossANetwork() throws IOException {
        Session s = twoNodes();
        List<String> received = SocketsExample.run(s, List.of(Kernel.JAVA, Kernel.PYTHON3, Kernel.R), 1);
        assertThat(received).hasSize(3);
        for (Worker w : s.list()) {
            assertThat(w.status()).isEqualTo(Status.SUCCEEDED);
            assertThat(w.ipAddress()).isIn(NODES);
            assertThat(s.output(w)).extracting(l -> l.text()).containsExactly("master replied: welcome, " + w.id());
        }
    }

    @Test
    void peersFindEachOtherAcrossANetwork() throws IOException {
        Session s = twoNodes();
        PeersExample.Summary r = PeersExample.run(s, 1, 1, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(r.ok()).as(console.toString(StandardCharsets.UTF_8)).isTrue();
        assertThat(r.server().ipAddress()).isIn(NODES);
        assertThat(r.clients()).allSatisfy(c -> assertThat(c.ipAddress()).isIn(NODES));
        assertThat(r.replies().values()).allSatisfy(reply -> assertThat(reply).contains(r.server().id()));
    }

    @Test
    void theHyperparameterSearch() throws IOException {
        Session s = oneNode();
        HpoExample.Summary r = HpoExample.run(s, 2);
        List<HpoTask.Params> grid = HpoTask.grid();
        assertThat(r.queue().drained()).isTrue();
        assertThat(r.queue().failed()).isZero();
        assertThat(r.leaderboard().stream().map(Result::key).collect(Collectors.toSet()))
                .isEqualTo(grid.stream().map(p -> "hpo/" + p.name()).collect(Collectors.toSet()));
        assertThat(r.reloadedAccuracy()).isEqualTo(HpoExample.accuracy(r.best()));
        assertThat(s.list()).allSatisfy(w -> assertThat(w.notes()).anySatisfy(n -> assertThat(n).startsWith("Slurm job ")));
    }
}
