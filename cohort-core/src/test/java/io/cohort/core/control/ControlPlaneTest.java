package io.cohort.core.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.MutableClock;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.backend.AgentLink;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.core.queue.QueueService;
import io.cohort.core.results.ResultStore;
import io.cohort.core.results.SnapshotStore;
import io.cohort.core.store.Durability;
import io.cohort.core.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control plane: the token guards every endpoint, and bad requests never harm the session. */
class ControlPlaneTest {
    /** Every endpoint, with a body that would change something if it were accepted. */
    static final List<String[]> ENDPOINTS = List.of(
            new String[] {"GET", "/v1/queues", ""},
            new String[] {"GET", "/v1/queues/q", ""},
            new String[] {"POST", "/v1/queues/q/items", "{\"items\":[1,2,3]}"},
            new String[] {"POST", "/v1/queues/q/take", "{\"max\":5,\"wait_ms\":0}"},
            new String[] {"POST", "/v1/queues/q/ack", "{\"ids\":[1]}"},
            new String[] {"POST", "/v1/queues/q/fail", "{\"id\":1,\"error\":\"x\"}"},
            new String[] {"POST", "/v1/queues/q/close", ""},
            new String[] {"POST", "/v1/heartbeat", ""},
            new String[] {"GET", "/v1/results", ""},
            new String[] {"PUT", "/v1/results/k", "{\"score\":1}"},
            new String[] {"GET", "/v1/results/k", ""},
            new String[] {"GET", "/v1/snapshots", ""},
            new String[] {"PUT", "/v1/snapshots/m", "bytes"},
            new String[] {"GET", "/v1/snapshots/m", ""},
            new String[] {"GET", "/v1/agents/w1/spec", ""},
            new String[] {"POST", "/v1/agents/w1/started", "{\"pid\":7,\"address\":\"10.1.2.3\"}"},
            new String[] {"POST", "/v1/agents/w1/output", "{\"lines\":[[\"out\",\"x\"]]}"},
            new String[] {"POST", "/v1/agents/w1/poll", "{\"wait_ms\":0}"},
            new String[] {"POST", "/v1/agents/w1/exited", "{\"exit_code\":0}"},
            new String[] {"GET", "/v1/workers", ""},
            new String[] {"GET", "/nowhere", ""});

    @TempDir
    Path dir;
    Store store;
    QueueService queues;
    ResultStore results;
    SnapshotStore snapshots;
    ControlPlane plane;
    AgentRegistry agents;
    RecordingSink sink = new RecordingSink();
    HttpClient http = HttpClient.newHttpClient();
    AgentLink link;

    @BeforeEach
    void open() {
        MutableClock clock = new MutableClock();
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        queues = new QueueService(new io.cohort.core.queue.SqliteQueueJournal(store), clock);
        results = new ResultStore(store, clock);
        snapshots = new SnapshotStore(store, dir.resolve("snapshots"), clock);
        agents = new AgentRegistry(clock);
        link = agents.expect(new WorkerSpec("s1", "w1", List.of("python3", "-c", "print(1)"), Map.of("A", "1"), dir, 1, 1 << 30, 0),
                sink, List.of("slurm job 42"));
        plane = new ControlPlane("127.0.0.1", queues, results, snapshots, agents, 4096, 10_000);
    }

    @AfterEach
    void close() {
        plane.close();
        store.close();
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(plane.url() + path))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theUsersHttpServersStayTheJdksThoughJettyIsOnTheClassPath() throws Exception {
        com.sun.net.httpserver.HttpServer mine = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        try {
            assertThat(mine.getClass().getName()).startsWith("sun.net.httpserver.");
            assertThat(mine.getAddress().getPort()).isPositive();
        } finally {
            mine.stop(0);
        }
    }

    @Test
    void theTokenIsLongAndRandom() {
        assertThat(plane.token()).hasSize(64).matches("[0-9a-f]+");
        ControlPlane other = new ControlPlane("127.0.0.1", queues, results, snapshots, agents, 4096, 10_000);
        try {
            assertThat(other.token()).isNotEqualTo(plane.token());
        } finally {
            other.close();
        }
    }

    @Test
    void everyEndpointRefusesAMissingOrWrongTokenAndChangesNothing() throws Exception {
        String wrong = plane.token().substring(0, 63) + (plane.token().endsWith("0") ? "1" : "0");
        for (String token : new String[] {null, wrong, "", plane.token().substring(0, 32)}) {
            for (String[] e : ENDPOINTS) {
                HttpResponse<String> r = send(e[0], e[1], e[2], token);
                assertThat(r.statusCode()).as("%s %s with token %s", e[0], e[1], token).isEqualTo(401);
                assertThat(r.body()).contains("Authorization: Bearer $COHORT_TOKEN");
            }
        }
        assertThat(queues.names()).isEmpty();
        assertThat(results.count()).isZero();
        assertThat(snapshots.list()).isEmpty();
        assertThat(sink.events).isEmpty();
        assertThat(link.lastContact()).isNull();
    }

    @Test
    void anAgentFetchesItsWorkerRunsItShipsOutputHearsAStopAndReportsTheExit() throws Exception {
        String t = plane.token();
        assertThat(send("GET", "/v1/agents/w1/spec", "", t).body())
                .contains("\"command\":[\"python3\",\"-c\",\"print(1)\"]", "\"env\":{\"A\":\"1\"}", "\"worker\":\"w1\"");
        assertThat(send("POST", "/v1/agents/w1/started", "{\"pid\":4242,\"address\":\"10.1.2.3\",\"gpus\":[1]}", t).statusCode())
                .isEqualTo(200);
        // The same report again (its answer was lost) changes nothing.
        assertThat(send("POST", "/v1/agents/w1/started", "{\"pid\":4242,\"address\":\"10.1.2.3\",\"gpus\":[1]}", t).statusCode())
                .isEqualTo(200);
        assertThat(send("POST", "/v1/agents/w1/started", "{\"pid\":4243,\"address\":\"10.1.2.4\"}", t))
                .satisfies(r -> assertThat(r.statusCode()).isEqualTo(409))
                .satisfies(r -> assertThat(r.body()).contains("already started by an agent"));
        assertThat(send("POST", "/v1/agents/w1/output", "{\"lines\":[[\"out\",\"hello\"],[\"err\",\"oops\"]]}", t).body())
                .isEqualTo("{\"stop_ms\":null}");
        assertThat(send("POST", "/v1/agents/w1/poll", "{\"wait_ms\":0}", t).body()).isEqualTo("{\"stop_ms\":null}");
        // A poll that is waiting hears the stop at once, not at the end of its wait.
        var poll = http.sendAsync(HttpRequest.newBuilder(URI.create(plane.url() + "/v1/agents/w1/poll"))
                .header("Authorization", "Bearer " + t).POST(HttpRequest.BodyPublishers.ofString("{\"wait_ms\":30000}")).build(),
                HttpResponse.BodyHandlers.ofString());
        link.requestStop(Duration.ofMillis(1500));
        assertThat(poll.get(20, java.util.concurrent.TimeUnit.SECONDS).body()).isEqualTo("{\"stop_ms\":1500}");
        assertThat(send("POST", "/v1/agents/w1/exited", "{\"exit_code\":143}", t).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/agents/w1/output", "{\"lines\":[[\"out\",\"late\"]]}", t).body()).isEqualTo("{\"stop_ms\":0}");
        link.endedWithoutAgent(1, "cancelled");
        assertThat(sink.events).containsExactly("placed 10.1.2.3 [1] [slurm job 42]", "running 4242", "STDOUT hello",
                "STDERR oops", "exited 143 null");
        assertThat(link.started()).isTrue();
        assertThat(link.ended()).isTrue();
    }

    @Test
    void agentRequestsAreCheckedAndNamedWorkersMustBeExpected() throws Exception {
        String t = plane.token();
        assertThat(send("GET", "/v1/agents/w9/spec", "", t)).satisfies(r -> assertThat(r.statusCode()).isEqualTo(404))
                .satisfies(r -> assertThat(r.body()).contains("no agent is expected for worker 'w9'"));
        assertThat(send("POST", "/v1/agents/w1/started", "{\"pid\":1}", t).body()).contains("\\\"address\\\"");
        assertThat(send("POST", "/v1/agents/w1/output", "{\"lines\":[[\"mid\",\"x\"]]}", t).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/agents/w1/exited", "{}", t).body()).contains("\\\"exit_code\\\" is required");
        assertThat(send("POST", "/v1/agents/w1/dance", "", t).statusCode()).isEqualTo(404);
        assertThat(sink.events).isEmpty();
        // An agent speaks only for its own worker.
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(plane.url() + "/v1/agents/w1/spec"))
                .header("Authorization", "Bearer " + t).header("X-Cohort-Worker", "w2").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(403);
        // A job that ends before its agent starts the program (cancelled while pending) fails to start.
        link.endedWithoutAgent(1, "cancelled by Slurm while pending");
        assertThat(sink.events).containsExactly("failedToStart cancelled by Slurm while pending");
        // A job of that worker that starts late anyway is told not to run it.
        assertThat(send("GET", "/v1/agents/w1/spec", "", t)).satisfies(r -> assertThat(r.statusCode()).isEqualTo(409))
                .satisfies(r -> assertThat(r.body()).contains("must not run it"));
    }

    @Test
    void aCallerWithoutTheTokenIsRefusedBeforeItsBodyIsReadAndDisconnected() throws Exception {
        URI u = URI.create(plane.url());
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            // A large body is declared and never sent: the answer must not wait for it.
            s.getOutputStream().write(("POST /v1/queues/q/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"items\":[").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            // readAllBytes ends only when the server closes the connection.
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 401").containsIgnoringCase("Connection: close")
                    .contains("Authorization: Bearer $COHORT_TOKEN");
        }
        assertThat(queues.names()).isEmpty();
    }

    @Test
    void ackOrFailOfAnIdTheQueueNeverHadIsNotFoundAndNamesIt() throws Exception {
        String t = plane.token();
        send("POST", "/v1/queues/q/items", "{\"items\":[1]}", t);
        String taken = send("POST", "/v1/queues/q/take", "{\"wait_ms\":0}", t).body();
        assertThat(taken).contains("\"id\":1,");

        assertThat(send("POST", "/v1/queues/q/ack", "{\"ids\":[1,4242]}", t)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).startsWith("{\"error\":").contains("4242");
        });
        assertThat(send("POST", "/v1/queues/q/fail", "{\"id\":777,\"error\":\"x\"}", t)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).startsWith("{\"error\":").contains("777");
        });
        // Nothing was acknowledged by the refused request; a real acknowledgement, and its repetition, are fine.
        assertThat(queues.progress("q").done()).isZero();
        assertThat(send("POST", "/v1/queues/q/ack", "{\"ids\":[1]}", t).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/queues/q/ack", "{\"ids\":[1]}", t).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/queues/q/fail", "{\"id\":1,\"error\":\"late\"}", t).statusCode()).isEqualTo(200);
        assertThat(queues.progress("q").done()).isEqualTo(1);
        // An id of another queue is not this queue's.
        send("POST", "/v1/queues/other/items", "{\"items\":[2]}", t);
        assertThat(send("POST", "/v1/queues/q/ack", "{\"ids\":[2]}", t).statusCode()).isEqualTo(404);
    }

    @Test
    void aMalformedUriGetsTheJsonErrorNotAPage() throws Exception {
        for (String path : new String[] {"/v1/queues/%ZZ", "/v1/results/%", "/v1/results/a%2"}) {
            String response = rawRequest("GET", path, new byte[0], plane.token());
            assertThat(response).as(path).startsWith("HTTP/1.1 400").containsIgnoringCase("Content-Type: application/json")
                    .contains("{\"error\":").doesNotContainIgnoringCase("<html");
        }
    }

    @Test
    void resultsRefuseTextThatIsNotUtf8InBodiesAndKeys() throws Exception {
        String t = plane.token();
        byte[] notUtf8 = {'"', 'a', (byte) 0xC3, (byte) 0x28, '"'};
        String response = rawRequest("PUT", "/v1/results/k", notUtf8, t);
        assertThat(response).startsWith("HTTP/1.1 400").contains("UTF-8");
        assertThat(send("PUT", "/v1/results?key=bad%C3%28key", "1", t)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("not valid UTF-8");
        });
        assertThat(send("PUT", "/v1/results/bad%FFkey", "1", t).statusCode()).isEqualTo(400);
        assertThat(results.count()).isZero();
        // Valid UTF-8, escaped or not, is kept exactly.
        assertThat(send("PUT", "/v1/results?key=caf%C3%A9", "\"crème\"", t).statusCode()).isEqualTo(200);
        assertThat(results.get("café")).isPresent();
        assertThat(send("GET", "/v1/results?key=caf%C3%A9", "", t).body()).isEqualTo("\"crème\"");
    }

    @Test
    void anUnexpectedFailureAnswers500WithoutItsTextAndIsLogged() throws Exception {
        io.cohort.Session broken = (io.cohort.Session) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {io.cohort.Session.class}, (proxy, method, args) -> {
                    throw new IllegalStateException("secret detail /home/someone/private.db");
                });
        plane.serveSession(broken, new SessionEvents(w -> Map.of()), w -> Map.of(), Map.of());
        try (io.cohort.core.LogCapture log = new io.cohort.core.LogCapture()) {
            HttpResponse<String> r = send("GET", "/v1/workers", "", plane.token());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).startsWith("{\"error\":").contains("internal error").doesNotContain("secret", "private.db",
                    "IllegalStateException");
            assertThat(log.reports()).anySatisfy(m -> assertThat(m).contains("GET /v1/workers", "secret detail"));
        }
    }

    /** Records what the agent routes report, in order. */
    static final class RecordingSink implements WorkerSink {
        final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void placed(String ipAddress, List<Integer> gpus, List<String> notes) {
            events.add("placed " + ipAddress + " " + gpus + " " + notes);
        }

        @Override
        public void running(long pid) {
            events.add("running " + pid);
        }

        @Override
        public void output(io.cohort.OutputLine.Stream stream, List<String> lines) {
            lines.forEach(line -> events.add(stream + " " + line));
        }

        @Override
        public void exited(int exitCode, String reason) {
            events.add("exited " + exitCode + " " + reason);
        }

        @Override
        public void failedToStart(String reason) {
            events.add("failedToStart " + reason);
        }
    }

    @Test
    void withTheTokenTheEndpointsWork() throws Exception {
        String t = plane.token();
        assertThat(send("POST", "/v1/queues/q/items", "{\"items\":[{\"lr\":0.1},2],\"keys\":[\"a\",null]}", t).body()).isEqualTo("{\"added\":2}");
        String taken = send("POST", "/v1/queues/q/take", "{\"max\":5,\"wait_ms\":0}", t).body();
        assertThat(taken).isEqualTo("{\"items\":[{\"id\":1,\"attempt\":1,\"value\":{\"lr\":0.1}},{\"id\":2,\"attempt\":1,\"value\":2}],\"done\":false,\"lease_ms\":30000}");
        assertThat(send("POST", "/v1/queues/q/ack", "{\"ids\":[1,2]}", t).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/queues/q/close", "", t).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/queues/q/take", "{\"wait_ms\":0}", t).body()).isEqualTo("{\"items\":[],\"done\":true,\"lease_ms\":30000}");
        assertThat(send("GET", "/v1/queues/q", "", t).body()).contains("\"done\":2", "\"drained\":true");

        assertThat(send("PUT", "/v1/results/lr%3D0.1/best", "{\"score\": 0.93}", t).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/results/lr%3D0.1/best", "", t).body()).isEqualTo("{\"score\":0.93}");
        assertThat(send("PUT", "/v1/results?key=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1", "{\"title\":\"A\"}", t).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/results?key=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1", "", t).body()).isEqualTo("{\"title\":\"A\"}");
        assertThat(results.get("https://example.org/a?b=1")).isPresent();
        assertThat(send("GET", "/v1/results?prefix=lr%3D", "", t).body()).contains("\"key\":\"lr=0.1/best\"", "\"value\":{\"score\":0.93}");
        assertThat(send("PUT", "/v1/snapshots/model.bin", "weights", t).body()).contains("\"size\":7");
        assertThat(send("GET", "/v1/snapshots/model.bin", "", t).body()).isEqualTo("weights");
        // The session hands itself over with serveSession (SessionStateTest, SessionApiTest); none until then.
        assertThat(send("GET", "/v1/workers", "", t).body()).isEqualTo("[]");
        assertThat(send("POST", "/v1/workers", "{}", t).statusCode()).isEqualTo(503);
        assertThat(send("GET", "/v1/workers/w1", "", t).statusCode()).isEqualTo(503);
    }

    @Test
    void aTakeThatAcknowledgesWithoutWaitingLeasesTheNextItemAndItsDoneAnswerComesOnceAllIsStored() throws Exception {
        String t = plane.token();
        send("POST", "/v1/queues/q/items", "{\"items\":[\"a\",\"b\"]}", t);
        send("POST", "/v1/queues/q/close", "", t);
        assertThat(send("POST", "/v1/queues/q/take", "{\"wait_ms\":0}", t).body()).contains("\"id\":1,");
        assertThat(send("POST", "/v1/queues/q/take", "{\"wait_ms\":0,\"ack\":[1],\"ack_wait\":false}", t).body())
                .isEqualTo("{\"items\":[{\"id\":2,\"attempt\":1,\"value\":\"b\"}],\"done\":false,\"lease_ms\":30000}");
        assertThat(send("POST", "/v1/queues/q/take", "{\"wait_ms\":0,\"ack\":[2],\"ack_wait\":false}", t).body())
                .isEqualTo("{\"items\":[],\"done\":true,\"lease_ms\":30000}");
        // Stored by the time "done" was answered: the store's own view, not the queue's memory.
        assertThat(send("GET", "/v1/queues/q/items", "", t).body()).contains("\"id\":1,\"state\":\"done\"", "\"id\":2,\"state\":\"done\"");
    }

    @Test
    void badRequestsGetAClearFourHundredAndChangeNothing() throws Exception {
        String t = plane.token();
        assertThat(send("POST", "/v1/queues/q/items", "{not json", t)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("not valid JSON");
        });
        assertThat(send("POST", "/v1/queues/q/items", "{\"items\":3}", t).body()).contains("send {\\\"items\\\": [value, ...]}");
        assertThat(send("POST", "/v1/queues/q/items", "{\"items\":[1],\"keys\":[]}", t).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/queues/q/take", "{\"max\":0}", t).body()).contains("\\\"max\\\" must be a whole number from 1 to 10000");
        assertThat(send("POST", "/v1/queues/q/take", "{\"wait_ms\":\"soon\"}", t).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/queues/q/take", "{\"ack_wait\":\"no\"}", t).body()).contains("\\\"ack_wait\\\" must be true or false");
        assertThat(send("POST", "/v1/queues/q/ack", "{\"ids\":[\"x\"]}", t).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/queues/bad%20name/items", "{\"items\":[1]}", t).body()).contains("queue names are");
        assertThat(send("GET", "/v1/queues/q/take", "", t).statusCode()).isEqualTo(405);
        assertThat(send("DELETE", "/v1/results/k", "", t).statusCode()).isEqualTo(405);
        assertThat(send("GET", "/v1/results/missing", "", t).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/v2/queues", "", t).statusCode()).isEqualTo(404);
        assertThat(send("PUT", "/v1/results/k", "", t).statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/v1/snapshots/%2Ebad", "x", t).body()).contains("snapshot names are");
        assertThat(send("PUT", "/v1/results?key=", "1", t).body()).contains("a result key must be 1 to 1024 characters");
        assertThat(send("POST", "/v1/queues/q/items", "{\"items\":[\"" + "x".repeat(5000) + "\"]}", t)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(413);
            assertThat(r.body()).contains("larger than 4096 bytes");
        });
        assertThat(send("PUT", "/v1/snapshots/big", "y".repeat(20_000), t).statusCode()).isEqualTo(413);
        assertThat(snapshots.list()).isEmpty();
        assertThat(queues.progress("q").added()).isZero();
    }

    @Test
    void thousandsOfRandomAndMalformedRequestsLeaveTheSessionServing() throws Exception {
        Random random = new Random(42);
        // A take on an open, empty queue rightly waits for items; closed, it answers at once.
        queues.close("q");
        String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
        String[] paths = {"/v1/queues/q/items", "/v1/queues/q/take", "/v1/queues/q/ack", "/v1/queues/q/fail",
            "/v1/results/k", "/v1/snapshots/s", "/v1/heartbeat", "/v1/queues/q", "/v1", "/", "/v1/queues/q%20z", "/v1/results/"};
        String[] bodies = {"", "{", "}", "[]", "null", "{\"items\":null}", "{\"ids\":[1e999]}", "{\"id\":-1}",
            "{\"max\":99999999999}", "{\"items\":[{\"a\":[[[[[]]]]]}]}", "\u0000\u0001\u0002", "{\"ack\":{}}", "{\"wait_ms\":-5}"};
        for (int i = 0; i < 2000; i++) {
            String token = random.nextInt(10) == 0 ? "nope" : plane.token();
            String body = random.nextInt(4) == 0 ? randomText(random) : bodies[random.nextInt(bodies.length)];
            String path = paths[random.nextInt(paths.length)] + (random.nextInt(5) == 0 ? randomText(random).replaceAll("[^a-z]", "") : "");
            String method = methods[random.nextInt(methods.length)];
            String response = rawRequest(method, path, body.getBytes(StandardCharsets.ISO_8859_1), token);
            int status = Integer.parseInt(response.substring(9, 12));
            assertThat(status).as("%s %s -> %s", method, path, response).isBetween(200, 499);
        }
        for (int i = 0; i < 300; i++) {
            rawGarbage(random);
        }

        // Still correct afterwards.
        String t = plane.token();
        long before = queues.progress("fresh").added();
        assertThat(send("POST", "/v1/queues/fresh/items", "{\"items\":[\"after\"]}", t).body()).isEqualTo("{\"added\":1}");
        assertThat(send("POST", "/v1/queues/fresh/take", "{\"wait_ms\":0}", t).body()).contains("\"value\":\"after\"");
        assertThat(queues.progress("fresh").added()).isEqualTo(before + 1);
        assertThat(send("GET", "/v1/queues/fresh", "", null).statusCode()).isEqualTo(401);
    }

    /** One request on its own connection, exactly as given; returns the whole response. */
    private String rawRequest(String method, String path, byte[] body, String token) throws IOException {
        URI u = URI.create(plane.url());
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(30_000);
            String head = method + " " + path.replace(" ", "%20") + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                    + "Content-Length: " + body.length + "\r\n\r\n";
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String randomText(Random random) {
        byte[] b = new byte[random.nextInt(200)];
        random.nextBytes(b);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** Bytes that are not HTTP at all, on a raw socket. */
    private void rawGarbage(Random random) throws IOException {
        URI u = URI.create(plane.url());
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            byte[] b = new byte[1 + random.nextInt(3000)];
            random.nextBytes(b);
            int kind = random.nextInt(3);
            if (kind == 0) {
                out.write(("GET /v1/queues/%ZZ HTTP/1.1\r\nAuthorization: Bearer " + plane.token() + "\r\n\r\n").getBytes());
            } else if (kind == 1) {
                out.write(("POST /v1/queues/q/items HTTP/1.1\r\nContent-Length: " + random.nextInt(100000) + "\r\n\r\n").getBytes());
            }
            out.write(b);
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            in.readNBytes(1 << 16);
        } catch (IOException e) {
            // The server may drop such a connection: that is fine, as long as it keeps serving.
        }
    }
}
