package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LocalSessions.class)
class LifecycleTest {
    Fixtures.Console console = new Fixtures.Console();
    Session session;

    @Test
    void javaWorkersRunTheirCodeAndSucceed() {
        List<Worker> ws = session.launch(LaunchRequest.of(2, 0.2, 0.5,
                Program.code("System.out.println(\"Hello from \" + System.getenv(\"CDSW_ENGINE_ID\"));")));

        assertThat(ws).extracting(Worker::id).containsExactly("w1", "w2");
        AwaitResult r = session.await(ws, true, Duration.ofSeconds(60));

        assertThat(r.failures()).isEmpty();
        assertThat(r.workers()).extracting(Worker::status).containsOnly(Status.SUCCEEDED);
        assertThat(r.workers()).allSatisfy(w -> {
            assertThat(w.exitCode()).isZero();
            assertThat(w.startedAt()).isNotNull();
            assertThat(w.finishedAt()).isAfterOrEqualTo(w.startedAt());
            assertThat(w.createdAt()).isBeforeOrEqualTo(w.startedAt());
        });
        assertThat(session.output("w1")).containsExactly(new OutputLine("w1", OutputLine.Stream.STDOUT, "Hello from w1"));
        assertThat(console.lines()).contains("[w1] Hello from w1", "[w2] Hello from w2");
    }

    @Test
    void aNonZeroExitIsAFailureWithItsCode() {
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell("echo oops >&2; exit 3")));

        AwaitResult r = session.await(ws, true, Duration.ofSeconds(30));

        Worker w = r.failures().get(0);
        assertThat(w.status()).isEqualTo(Status.FAILED);
        assertThat(w.exitCode()).isEqualTo(3);
        assertThat(w.reason()).isEqualTo("exited with code 3");
        assertThat(session.output(w)).containsExactly(new OutputLine("w1", OutputLine.Stream.STDERR, "oops"));
        assertThat(console.lines()).contains("[w1 err] oops");
    }

    @Test
    void awaitForRunningReturnsOnceRunningAndStopEndsTheWholeTree() {
        // The worker starts a child in a new session of its own: stop must still reach it.
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.2, 0.2,
                Program.shell("setsid sleep 300 & sleep 300 & echo started; wait")));
        AwaitResult running = session.await(ws, false, Duration.ofSeconds(30));
        assertThat(running.workers()).extracting(Worker::status).containsExactly(Status.RUNNING);
        await().atMost(Duration.ofSeconds(10)).until(() -> Fixtures.survivors(session.id()).size() >= 3);

        List<Worker> stopped = session.stop(ws);

        assertThat(stopped).extracting(Worker::status).containsExactly(Status.STOPPED);
        assertThat(stopped.get(0).reason()).isEqualTo("stopped by the user");
        assertThat(Fixtures.survivors(session.id())).isEmpty();
    }

    @Test
    void stopIsPoliteFirstAndForcefulAfterTheGracePeriod() {
        List<Worker> polite = session.launch(LaunchRequest.of(1, 0.2, 0.2,
                Program.shell("trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 0.05; done")));
        List<Worker> stubborn = session.launch(LaunchRequest.of(1, 0.2, 0.2,
                Program.shell("trap '' TERM; echo ready; while true; do sleep 0.05; done")));
        await().atMost(Duration.ofSeconds(20)).until(() -> session.output("w1").size() == 1 && session.output("w2").size() == 1);

        long start = System.nanoTime();
        session.stop(List.of(polite.get(0), stubborn.get(0)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(session.output("w1")).extracting(OutputLine::text).contains("got TERM");
        assertThat(session.get("w1").status()).isEqualTo(Status.STOPPED);
        Worker w2 = session.get("w2");
        assertThat(w2.status()).isEqualTo(Status.STOPPED);
        assertThat(w2.exitCode()).isEqualTo(137);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(Fixtures.survivors(session.id())).isEmpty();
    }

    @Test
    void awaitWithZeroTimeoutWaitsWithoutLimit() {
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell("sleep 1; echo done")));

        AwaitResult r = session.await(ws, true, Duration.ZERO);

        assertThat(r.workers()).extracting(Worker::status).containsExactly(Status.SUCCEEDED);
    }

    @Test
    void awaitTimesOutWithTheUnfinishedAsFailures() {
        List<Worker> ws = session.launch(LaunchRequest.of(2, 0.2, 0.2, Program.shell("sleep 300")));

        AwaitResult r = session.await(List.of("w2", "w1"), true, Duration.ofMillis(300));

        assertThat(r.workers()).isEmpty();
        assertThat(r.failures()).extracting(Worker::id).containsExactly("w1", "w2");
        assertThat(r.failures()).extracting(Worker::status).containsOnly(Status.RUNNING);
    }

    @Test
    void listShowsEveryWorkerInLaunchOrder() {
        session.launch(LaunchRequest.of(2, 0.2, 0.2, Program.shell("true")));
        session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell("true")));

        assertThat(session.list()).extracting(Worker::id).containsExactly("w1", "w2", "w3");
    }

    @Test
    void unknownWorkersAreNamedInTheError() {
        assertThatThrownBy(() -> session.stop(List.of("w9")))
                .isInstanceOf(CohortException.class)
                .hasMessageContaining("no worker 'w9'");
        assertThatThrownBy(() -> session.get(42))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Worker or its id");
    }

    @Test
    void aClosedSessionStopsItsWorkersAndRefusesNewOnes() {
        session.launch(LaunchRequest.of(2, 0.2, 0.2, Program.shell("sleep 300")));
        session.await(List.of(), false, Duration.ofSeconds(30));

        session.close();

        assertThat(session.list()).extracting(Worker::status).containsOnly(Status.STOPPED);
        assertThat(session.list()).extracting(Worker::reason).containsOnly("the session closed");
        assertThat(Fixtures.survivors(session.id())).isEmpty();
        assertThatThrownBy(() -> session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell("true"))))
                .hasMessageContaining("is closed");
    }
}
