package io.cohort.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session's state machine, awaits and admission, over a backend the test drives by hand. */
class SessionStateTest {
    @TempDir
    Path home;
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Session session;
    ScriptedBackend backend;

    @BeforeEach
    void open() {
        session = Session.open(SessionOptions.builder().home(home).backend("scripted")
                .console(new PrintStream(console, true, StandardCharsets.UTF_8)).stopGrace(Duration.ofSeconds(3)).build());
        backend = ScriptedBackend.OPEN.get(session.id());
    }

    @AfterEach
    void close() {
        backend.holdStops = false;
        session.close();
        assertThat(backend.closed).isTrue();
    }

    private List<Worker> launch(int n) {
        return session.launch(LaunchRequest.of(n, 1, 1, Program.shell("true")));
    }

    @Test
    void aWorkerMovesThroughItsStatusesAndKeepsItsTimes() {
        Worker w = launch(1).get(0);
        assertThat(w.status()).isEqualTo(Status.STARTING);
        assertThat(w.ipAddress()).isEqualTo("10.0.0.1");
        assertThat(w.notes()).containsExactly("scripted");

        backend.sink("w1").running(4242);
        assertThat(session.get("w1").status()).isEqualTo(Status.RUNNING);
        assertThat(session.get("w1").pid()).isEqualTo(4242L);

        backend.sink("w1").output(OutputLine.Stream.STDOUT, "hello");
        backend.sink("w1").exited(0, null);
        Worker end = session.get("w1");
        assertThat(end.status()).isEqualTo(Status.SUCCEEDED);
        assertThat(end.exitCode()).isZero();
        assertThat(end.reason()).isNull();
        assertThat(end.finishedAt()).isAfterOrEqualTo(end.startedAt());
        assertThat(session.output("w1")).containsExactly(new OutputLine("w1", OutputLine.Stream.STDOUT, "hello"));

        // An ended worker never changes again.
        backend.sink("w1").running(1);
        backend.sink("w1").exited(9, "late");
        assertThat(session.get("w1")).isEqualTo(end);
    }

    @Test
    void theEnvironmentCarriesTheReferencesNamesAndTheBackendsMasterAddress() {
        session.launch(LaunchRequest.builder().n(2).cpu(0.5).memoryGb(0.5).code("!true").env("K", "V").build());

        Map<String, String> env = backend.specs.get("w2").env();
        assertThat(env).containsEntry("CML_MASTER_IP", "127.9.8.7").containsEntry("CDSW_ENGINE_ID", "w2")
                .containsEntry("COHORT_WORKER_INDEX", "1").containsEntry("K", "V")
                .containsEntry("CDSW_MEMORY_MB", "512").containsEntry("CDSW_CPU_MILLICORES", "500");
        assertThat(backend.specs.get("w2").memoryBytes()).isEqualTo(512L << 20);
    }

    @Test
    void theControlPlaneListsTheSessionsWorkersWithTheirAddressesToHoldersOfTheToken() throws Exception {
        launch(2);
        backend.sink("w1").running(4242);
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest.Builder get = HttpRequest.newBuilder(URI.create(session.controlPlaneUrl() + "/v1/workers"))
                .timeout(Duration.ofSeconds(30));

        assertThat(http.send(get.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        HttpResponse<String> r = http.send(get.header("Authorization", "Bearer " + session.controlPlaneToken()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        List<Map<String, Object>> workers = Json.MAPPER.readValue(r.body(),
                new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() { });
        assertThat(workers).hasSize(2);
        Map<String, Object> w1 = workers.get(0);
        assertThat(w1).containsEntry("id", "w1").containsEntry("status", "running").containsEntry("kernel", "shell")
                .containsEntry("ip_address", "10.0.0.1").containsEntry("app_url", session.get("w1").appUrl())
                .containsEntry("cpu", 1.0).containsEntry("memory", 1.0).containsEntry("nvidia_gpu", 0)
                .containsEntry("finished_at", null).containsEntry("exit_code", null);
        assertThat((String) w1.get("running_at")).isEqualTo(session.get("w1").startedAt()
                .truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        assertThat(workers.get(1)).containsEntry("id", "w2").containsEntry("status", "starting");

        backend.sink("w1").exited(3, "boom");
        String after = http.send(get.build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(after).contains("\"status\":\"failed\"", "\"exit_code\":3", "\"reason\":\"boom\"");
    }

    @Test
    void awaitWakesOnTheStateChangeItself() throws Exception {
        launch(2);
        CompletableFuture<AwaitResult> waiting = CompletableFuture.supplyAsync(
                () -> session.await(List.of(), true, Duration.ZERO));
        backend.sink("w1").running(1);
        backend.sink("w1").exited(0, null);
        assertThat(waiting).isNotDone();

        backend.sink("w2").running(2);
        backend.sink("w2").exited(1, null);

        AwaitResult r = waiting.get(10, TimeUnit.SECONDS);
        assertThat(r.workers()).extracting(Worker::id).containsExactly("w1");
        assertThat(r.failures()).extracting(Worker::id).containsExactly("w2");
        assertThat(r.failures().get(0).reason()).isEqualTo("exited with code 1");
    }

    @Test
    void awaitForRunningCountsSucceededAsReachedAndFailedAsFailure() {
        launch(3);
        backend.sink("w1").running(1);
        backend.sink("w2").running(2);
        backend.sink("w2").exited(0, null);
        backend.sink("w3").failedToStart("no room on the scripted cluster");

        AwaitResult r = session.await(List.of(), false, Duration.ofSeconds(10));

        assertThat(r.workers()).extracting(Worker::id).containsExactly("w1", "w2");
        assertThat(r.failures()).extracting(Worker::reason).containsExactly("no room on the scripted cluster");
    }

    @Test
    void stopAsksTheBackendWithTheGracePeriodAndEndsAsStopped() throws Exception {
        launch(1);
        backend.sink("w1").running(1);
        backend.holdStops = true;
        CompletableFuture<List<Worker>> stopping = CompletableFuture.supplyAsync(() -> session.stop(List.of("w1")));
        org.awaitility.Awaitility.await().until(() -> backend.stops.containsKey("w1"));
        assertThat(backend.stops.get("w1")).isEqualTo(Duration.ofSeconds(3));

        backend.sink("w1").exited(143, null);

        Worker w = stopping.get(10, TimeUnit.SECONDS).get(0);
        assertThat(w.status()).isEqualTo(Status.STOPPED);
        assertThat(w.reason()).isEqualTo("stopped by the user");
        assertThat(w.exitCode()).isEqualTo(143);
    }

    @Test
    void aStoppedWorkerThatRanOutOfMemoryReportsTheMemory() {
        launch(1);
        backend.sink("w1").running(1);
        backend.sink("w1").exited(137, "out of memory: too big");

        assertThat(session.get("w1").status()).isEqualTo(Status.FAILED);
        assertThat(session.get("w1").reason()).isEqualTo("out of memory: too big");
    }

    @Test
    void aBackendThatThrowsFailsTheWorkerWithTheReasonAndGivesItsShareBack() {
        List<Worker> ws = session.launch(LaunchRequest.builder().n(4).cpu(1).memoryGb(1).code("!true").env("BREAK_BACKEND", "1").build());

        assertThat(ws).extracting(Worker::status).containsOnly(Status.FAILED);
        assertThat(ws.get(0).reason()).isEqualTo("the scripted backend could not start it: the scripted cluster is down");
        // The 4 cores are free again.
        assertThat(launch(4)).hasSize(4);
    }

    @Test
    void admissionCountsWhatRunningWorkersHoldAndGivesItBackWhenTheyEnd() {
        launch(3);
        assertThatThrownBy(() -> launch(2))
                .isInstanceOf(CohortException.class)
                .hasMessage("cannot launch 2 workers with 1 CPU each: that needs 2 cores, and the scripted cluster has 4"
                        + " (x1 overcommit = 4), of which 3 are held by running workers. Ask for fewer or smaller workers,"
                        + " stop some, or raise -Dcohort.cpuOvercommit");
        assertThat(session.list()).hasSize(3);

        backend.sink("w1").exited(0, null);

        assertThat(launch(1)).hasSize(1);
    }

    @Test
    void endsThatRaceGiveAWorkersShareBackExactlyOnce() throws Exception {
        // One worker holds a core throughout; each round fills the other three and ends them from many threads at once.
        launch(1);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(16);
        try {
            for (int round = 0; round < 25; round++) {
                List<Worker> ws = launch(3);
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(16);
                List<java.util.concurrent.Future<?>> ends = new java.util.ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    int thread = t;
                    ends.add(threads.submit(() -> {
                        start.await();
                        for (Worker w : ws) {
                            if (thread % 2 == 0) {
                                backend.sink(w.id()).exited(1, null);
                            } else {
                                backend.sink(w.id()).failedToStart("raced");
                            }
                        }
                        return null;
                    }));
                }
                for (var end : ends) {
                    end.get(30, TimeUnit.SECONDS);
                }
                assertThat(ws).allSatisfy(w -> assertThat(session.get(w.id()).status()).isEqualTo(Status.FAILED));
                // Exactly three cores came back: four more do not fit beside the holder; three do (next round).
                assertThatThrownBy(() -> launch(4)).as("round %d", round).isInstanceOf(CohortException.class)
                        .hasMessageContaining("of which 1 are held by running workers");
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void theSessionsFolderAndFilesAreTheUsersAlone() throws Exception {
        launch(1);
        backend.sink("w1").output(OutputLine.Stream.STDOUT, "a secret");
        Path model = java.nio.file.Files.write(home.resolve("model.bin"), new byte[] {1, 2, 3});
        session.snapshots().save("model", model);
        Path dir = session.directory();
        assertThat(mode(dir)).isEqualTo("rwx------");
        for (String file : List.of("session.db", "guard.log", "workers/w1/output.log", "clients/python/cohort_client.py")) {
            assertThat(mode(dir.resolve(file))).as(file).isEqualTo("rw-------");
        }
        for (String folder : List.of("workers", "workers/w1", "clients", "clients/python", "snapshots")) {
            assertThat(mode(dir.resolve(folder))).as(folder).isEqualTo("rwx------");
        }
        try (var files = java.nio.file.Files.list(dir.resolve("snapshots"))) {
            assertThat(files.toList()).isNotEmpty().allSatisfy(f -> assertThat(mode(f)).as(f.toString()).isEqualTo("rw-------"));
        }
    }

    private static String mode(Path p) {
        try {
            return java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(p));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theConsoleShowsTheDashboardsUrlThenLinesAndEndsPrefixedByWorker() {
        launch(1);
        backend.sink("w1").running(7);
        backend.sink("w1").output(OutputLine.Stream.STDOUT, "out line");
        backend.sink("w1").output(OutputLine.Stream.STDERR, "err line");
        backend.sink("w1").exited(2, null);
        String dashboard = "[session " + session.id() + "] dashboard: " + session.controlPlaneUrl() + "/ui/?token="
                + session.controlPlaneToken();
        session.close();

        assertThat(console.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                dashboard,
                "[w1] -- running on 10.0.0.1 (pid 7)",
                "[w1] out line",
                "[w1 err] err line",
                "[w1] -- failed with exit code 2: exited with code 2");
    }

    @Test
    void anUnknownBackendIsNamedWithTheAvailableOnes() {
        assertThatThrownBy(() -> Session.open(SessionOptions.builder().home(home).backend("kubernetes").build()))
                .hasMessageContaining("no backend named 'kubernetes'").hasMessageContaining("scripted");
    }
}
