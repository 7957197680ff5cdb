package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.Kernel;
import io.cohort.Result;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.examples.hpo.HpoExample;
import io.cohort.examples.hpo.HpoTask;
import io.cohort.kubernetes.fixtures.StandInCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples, unchanged, on the Kubernetes backend: fabric8's mock API server, whose pods the
 * kubelet stand-in really runs as local processes with addresses of their own (127.x). Only the
 * session's backend differs from the local runs.
 */
class KubernetesExamplesTest {
    @TempDir
    Path home;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    StandInCluster cluster;
    Session session;

    @BeforeEach
    void cluster() throws IOException {
        cluster = new StandInCluster(home.resolve("cluster"));
        SessionOptions.Builder b = SessionOptions.builder().home(home.resolve("home")).backend("kubernetes")
                .console(new PrintStream(console, true, StandardCharsets.UTF_8)).stopGrace(Duration.ofSeconds(1));
        cluster.settings().forEach(b::setting);
        session = Session.open(b.build());
    }

    @AfterEach
    void close() {
        try {
            String id = session.id();
            session.close();
            assertThat(cluster.pods(id)).isEmpty();
        } finally {
            cluster.close();
        }
    }

    @Test
    void helloWorld() {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        HelloExample.Summary r = HelloExample.run(session, 3, new PrintStream(summary, true, StandardCharsets.UTF_8));
        assertThat(r.ok()).as(console.toString(StandardCharsets.UTF_8)).isTrue();
        for (Worker w : r.workers()) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(console.toString(StandardCharsets.UTF_8))
                            .contains("[" + w.id() + "] Hello from worker " + w.id() + " at " + w.ipAddress()));
            assertThat(w.notes()).anySatisfy(n -> assertThat(n).startsWith("Kubernetes pod cohort-"));
        }
        assertThat(summary.toString(StandardCharsets.UTF_8)).contains("3 workers, 3 succeeded, 0 failed");
    }

    @Test
    void theMasterAndWorkerSockets() throws IOException {
        List<String> received = SocketsExample.run(session, List.of(Kernel.JAVA, Kernel.PYTHON3), 1);
        assertThat(received).hasSize(2);
        for (Worker w : session.list()) {
            assertThat(w.status()).isEqualTo(Status.SUCCEEDED);
            assertThat(w.ipAddress()).startsWith("127.").isNotEqualTo("127.0.0.1");
            assertThat(session.output(w)).extracting(l -> l.text()).containsExactly("master replied: welcome, " + w.id());
        }
    }

    @Test
    void theHyperparameterSearchDrainsItsQueue() throws IOException {
        HpoExample.Summary r = HpoExample.run(session, 2);
        List<HpoTask.Params> grid = HpoTask.grid();
        assertThat(r.queue().drained()).isTrue();
        assertThat(r.queue().failed()).isZero();
        assertThat(r.leaderboard().stream().map(Result::key).collect(Collectors.toSet()))
                .isEqualTo(grid.stream().map(p -> "hpo/" + p.name()).collect(Collectors.toSet()));
        assertThat(r.reloadedAccuracy()).isEqualTo(HpoExample.accuracy(r.best()));
        assertThat(session.list()).allSatisfy(w -> assertThat(w.notes()).anySatisfy(n -> assertThat(n).startsWith("Kubernetes pod ")));
    }
}
