package io.cohort.core.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.MutableClock;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.core.queue.QueueService;
import io.cohort.core.results.ResultStore;
import io.cohort.core.results.SnapshotStore;
import io.cohort.core.store.Durability;
import io.cohort.core.store.Store;
import io.cohort.worker.internal.ControlPlaneClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 7: across hosts nobody else gets in. With worker security on, the control plane
 * serves workers over TLS with a certificate the session made (pinned by fingerprint), and each
 * worker's credential acts only as itself, while the session's token does everything.
 */
class WorkerCredentialsTest {
    @TempDir
    Path dir;
    Store store;
    QueueService queues;
    ControlPlane plane;
    AgentRegistry agents;
    ControlPlaneTest.RecordingSink sink = new ControlPlaneTest.RecordingSink();

    @BeforeEach
    void open() {
        MutableClock clock = new MutableClock();
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        queues = new QueueService(new io.cohort.core.queue.SqliteQueueJournal(store), clock);
        agents = new AgentRegistry(clock);
        plane = new ControlPlane("127.0.0.1", queues, new ResultStore(store, clock),
                new SnapshotStore(store, dir.resolve("snapshots"), clock), agents, 1 << 20, 1 << 20,
                new WorkerSecurity(true, List.of("*"), List.of("*")));
    }

    @AfterEach
    void close() {
        plane.close();
        store.close();
    }

    /** What worker {@code id}'s own client sends: its credential, its id, the pin, over TLS. */
    private ControlPlaneClient worker(String id) {
        return new ControlPlaneClient(plane.workerUrl(), plane.workerToken(id), id, plane.tlsPin());
    }

    private ControlPlaneClient session() {
        return new ControlPlaneClient(plane.workerUrl(), plane.token(), "session-client", plane.tlsPin());
    }

    private static String call(ControlPlaneClient c, String method, String path, String json) {
        return c.callJson(method, path, json, null, 10_000);
    }

    @Test
    void workersGetTlsTheirOwnCredentialAndThePinWhileTheSessionKeepsPlainHttpOnLoopback() {
        assertThat(plane.workerUrl()).startsWith("https://127.0.0.1:");
        assertThat(plane.url()).startsWith("http://127.0.0.1:");
        assertThat(plane.tlsPin()).matches("sha256:[0-9a-f]{64}");
        assertThat(plane.workerToken("w1")).startsWith("cw1.w1.").isNotEqualTo(plane.workerToken("w2"))
                .doesNotContain(plane.token());
        // What a group's members share for exec-server and rsh opens nothing on the control plane.
        assertThat(plane.groupSecret("g1")).startsWith("cg1.").isNotEqualTo(plane.groupSecret("g2"));
        ControlPlaneClient group = new ControlPlaneClient(plane.workerUrl(), plane.groupSecret("g1"), "w1", plane.tlsPin());
        assertThatThrownBy(() -> call(group, "GET", "/v1/workers", null)).hasMessageContaining("(401)");
    }

    @Test
    void aWorkersCredentialWorksForItsOwnAgentRoutesQueuesResultsAndTheWorkerList() {
        agents.expect(new WorkerSpec("s1", "w1", List.of("true"), Map.of(), dir, 1, 1 << 30, 0), sink, List.of());
        ControlPlaneClient w1 = worker("w1");
        assertThat(call(w1, "GET", "/v1/agents/w1/spec", null)).contains("\"worker\":\"w1\"");
        assertThat(call(w1, "POST", "/v1/queues/q/items", "{\"items\":[1,2]}")).isEqualTo("{\"added\":2}");
        assertThat(call(w1, "POST", "/v1/queues/q/take", "{\"max\":1,\"wait_ms\":0}")).contains("\"id\":1");
        assertThat(call(w1, "POST", "/v1/queues/q/ack", "{\"ids\":[1]}")).isEqualTo("{}");
        assertThat(call(w1, "POST", "/v1/heartbeat", "{}")).isEqualTo("{}");
        assertThat(call(w1, "PUT", "/v1/results/score", "{\"v\":1}")).isEqualTo("{}");
        assertThat(call(w1, "GET", "/v1/results/score", null)).isEqualTo("{\"v\":1}");
        assertThat(call(w1, "GET", "/v1/workers", null)).isEqualTo("[]");
    }

    @Test
    void aWorkersCredentialIsRefusedAnotherWorkersAgentRoutesAndLeases() {
        agents.expect(new WorkerSpec("s1", "w2", List.of("true"), Map.of(), dir, 1, 1 << 30, 0), sink, List.of());
        ControlPlaneClient w1 = worker("w1");
        ControlPlaneClient w2 = worker("w2");
        for (String[] e : new String[][] {{"GET", "/v1/agents/w2/spec", null},
                {"POST", "/v1/agents/w2/output", "{\"lines\":[[\"out\",\"forged\"]]}"},
                {"POST", "/v1/agents/w2/exited", "{\"exit_code\":0}"}}) {
            assertThatThrownBy(() -> call(w1, e[0], e[1], e[2])).as("%s %s", e[0], e[1])
                    .isInstanceOf(ControlPlaneClient.Refused.class)
                    .hasMessageContaining("(403)").hasMessageContaining("w1's credential may not");
        }
        assertThat(sink.events).isEmpty();

        call(w2, "POST", "/v1/queues/q/items", "{\"items\":[\"x\"]}");
        assertThat(call(w2, "POST", "/v1/queues/q/take", "{\"max\":1,\"wait_ms\":0}")).contains("\"id\":1");
        assertThatThrownBy(() -> call(w1, "POST", "/v1/queues/q/ack", "{\"ids\":[1]}"))
                .hasMessageContaining("(403)").hasMessageContaining("leased by another worker");
        assertThatThrownBy(() -> call(w1, "POST", "/v1/queues/q/fail", "{\"id\":1,\"error\":\"x\"}"))
                .hasMessageContaining("(403)");
        assertThatThrownBy(() -> call(w1, "POST", "/v1/queues/q/take", "{\"wait_ms\":0,\"ack\":[1]}"))
                .hasMessageContaining("(403)");
        assertThat(queues.progress("q").inFlight()).isEqualTo(1);
        // Naming another worker in X-Cohort-Worker does not help: the credential says who is calling.
        ControlPlaneClient posing = new ControlPlaneClient(plane.workerUrl(), plane.workerToken("w1"), "w2", plane.tlsPin());
        assertThatThrownBy(() -> call(posing, "POST", "/v1/queues/q/ack", "{\"ids\":[1]}"))
                .hasMessageContaining("(403)").hasMessageContaining("speak as worker 'w2'");
        assertThat(call(w2, "POST", "/v1/queues/q/ack", "{\"ids\":[1]}")).isEqualTo("{}");
    }

    @Test
    void aWorkersCredentialIsRefusedTheSessionsOwnRoutes() {
        ControlPlaneClient w1 = worker("w1");
        for (String[] e : new String[][] {{"POST", "/v1/workers", "{\"n\":1,\"cpu\":1,\"memory\":1,\"code\":\"1\"}"},
                {"POST", "/v1/workers/stop", "{\"ids\":[\"w2\"]}"}, {"POST", "/v1/workers/await", "{}"},
                {"GET", "/v1/workers/w2/output", null}, {"GET", "/v1/events", null}, {"GET", "/v1/session", null},
                {"POST", "/v1/session/close", "{}"}, {"GET", "/v1/resources", null}, {"POST", "/v1/groups", "{}"},
                {"POST", "/v1/groups/g/stop", "{}"}, {"GET", "/ui/", null}, {"GET", "/apps/w2/", null}}) {
            assertThatThrownBy(() -> call(w1, e[0], e[1], e[2])).as("%s %s", e[0], e[1])
                    .hasMessageContaining("(403)").hasMessageContaining("takes the session's token");
        }
        // The session's token is refused none of them for want of rights (no session is served here: 503).
        assertThatThrownBy(() -> call(session(), "POST", "/v1/workers/stop", "{\"ids\":[\"w2\"]}"))
                .hasMessageContaining("(503)");
        assertThat(call(session(), "GET", "/v1/workers", null)).isEqualTo("[]");
    }

    @Test
    void theUsersAllowListLimitsTheQueuesAndResultsAWorkerMayUse() {
        plane.close();
        plane = new ControlPlane("127.0.0.1", queues, new ResultStore(store, new MutableClock()),
                new SnapshotStore(store, dir.resolve("snapshots"), new MutableClock()), agents, 1 << 20, 1 << 20,
                new WorkerSecurity(true, List.of("work"), List.of("scores/*")));
        ControlPlaneClient w1 = worker("w1");
        assertThat(call(w1, "POST", "/v1/queues/work/items", "{\"items\":[1]}")).isEqualTo("{\"added\":1}");
        assertThatThrownBy(() -> call(w1, "POST", "/v1/queues/other/items", "{\"items\":[1]}"))
                .hasMessageContaining("(403)").hasMessageContaining("workerQueues allows [work]");
        assertThat(call(w1, "PUT", "/v1/results?key=scores/a", "1")).isEqualTo("{}");
        assertThatThrownBy(() -> call(w1, "GET", "/v1/results?key=secret", null)).hasMessageContaining("(403)");
        assertThatThrownBy(() -> call(w1, "GET", "/v1/results", null)).hasMessageContaining("(403)");
        assertThat(call(session(), "GET", "/v1/queues/other", null)).contains("\"queue\":\"other\"");
    }

    @Test
    void aClientThatDoesNotPinTheCertificateOrPinsAnotherIsRefused() throws Exception {
        HttpClient unpinned = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(plane.workerUrl() + "/v1/workers"))
                .header("Authorization", "Bearer " + plane.token()).build();
        assertThatThrownBy(() -> unpinned.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);

        String wrong = "sha256:" + "0".repeat(64);
        ControlPlaneClient wrongPin = new ControlPlaneClient(plane.workerUrl(), plane.token(), "w1", wrong);
        assertThatThrownBy(() -> call(wrongPin, "GET", "/v1/workers", null))
                .hasMessageContaining("cannot reach the session").hasMessageContaining("is not the session's");

        assertThatThrownBy(() -> new ControlPlaneClient(plane.workerUrl(), plane.token(), "w1", null))
                .hasMessageContaining("COHORT_TLS_PIN is not set");
        assertThatThrownBy(() -> new ControlPlaneClient(plane.url(), plane.token(), "w1", plane.tlsPin()))
                .hasMessageContaining("must be https://");
    }

    @Test
    void plainHttpToTheTlsConnectorIsRefused() {
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(plane.workerUrl().replace("https://", "http://") + "/v1/workers"))
                .header("Authorization", "Bearer " + plane.token()).timeout(Duration.ofSeconds(10)).build();
        assertThatThrownBy(() -> plain.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void anAgentGivenThePinRunsItsWorkerOverTlsAndAWrongPinStopsIt() throws Exception {
        agents.expect(new WorkerSpec("s1", "w1", List.of("/bin/sh", "-c", "echo hello over tls"), Map.of(), dir, 1, 1 << 30, 0),
                sink, List.of());
        Process agent = agent("w1", plane.workerToken("w1"), plane.tlsPin());
        assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(sink.events).contains("STDOUT hello over tls").anyMatch(e -> e.startsWith("exited 0"));

        Process wrong = agent("w1", plane.workerToken("w1"), "sha256:" + "1".repeat(64));
        assertThat(wrong.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(wrong.exitValue()).isNotZero();
        assertThat(new String(wrong.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("is not the session's");
    }

    @Test
    void pythonsClientHonoursThePin() throws Exception {
        Path client = Path.of("../clients/python").toAbsolutePath().normalize();
        String script = "import cohort_client as c\n"
                + "c.results.put('from-python', {'ok': True})\n"
                + "print(c.results.get('from-python'))\n";
        Process ok = python(client, script, plane.tlsPin());
        assertThat(ok.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("{'ok': True}");
        assertThat(ok.exitValue()).isZero();

        Process wrong = python(client, script, "sha256:" + "2".repeat(64));
        assertThat(wrong.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(wrong.exitValue()).isNotZero();
        assertThat(new String(wrong.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("COHORT_TLS_PIN");
    }

    private Process python(Path client, String script, String pin) throws Exception {
        ProcessBuilder b = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true);
        b.environment().put("PYTHONPATH", client.toString());
        b.environment().put("COHORT_API", plane.workerUrl());
        b.environment().put("COHORT_TOKEN", plane.workerToken("w1"));
        b.environment().put("CDSW_ENGINE_ID", "w1");
        b.environment().put("COHORT_TLS_PIN", pin);
        return b.start();
    }

    private Process agent(String worker, String token, String pin) throws Exception {
        ProcessBuilder b = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), io.cohort.worker.agent.Agent.class.getName())
                .redirectErrorStream(true);
        b.environment().put("COHORT_API", plane.workerUrl());
        b.environment().put("COHORT_TOKEN", token);
        b.environment().put("COHORT_WORKER_ID", worker);
        b.environment().put("COHORT_TLS_PIN", pin);
        b.environment().put("COHORT_AGENT_GIVE_UP_MS", "3000");
        return b.start();
    }

    @Test
    void theCurlRecipeOfTheDocsChecksThePinAndTalksTls() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(Path.of("/usr/bin/openssl"))
                && java.nio.file.Files.isExecutable(Path.of("/usr/bin/curl")), "needs openssl and curl");
        String recipe = String.join("\n",
                "host=${COHORT_API#https://}",
                "openssl s_client -connect \"$host\" </dev/null 2>/dev/null | openssl x509 -outform DER > session.der",
                "[ \"sha256:$(sha256sum session.der | cut -d' ' -f1)\" = \"$COHORT_TLS_PIN\" ] || exit 1",
                "openssl x509 -inform DER -in session.der > session.pem",
                "curl -sS --noproxy '*' --cacert session.pem -H \"Authorization: Bearer $COHORT_TOKEN\" \"$COHORT_API/v1/workers\"");
        for (String pin : List.of(plane.tlsPin(), "sha256:" + "3".repeat(64))) {
            ProcessBuilder b = new ProcessBuilder("/bin/sh", "-c", recipe).directory(dir.toFile()).redirectErrorStream(true);
            b.environment().put("COHORT_API", plane.workerUrl());
            b.environment().put("COHORT_TOKEN", plane.workerToken("w1"));
            b.environment().put("COHORT_TLS_PIN", pin);
            Process p = b.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            if (pin.equals(plane.tlsPin())) {
                assertThat(out).as(out).isEqualTo("[]");
            } else {
                assertThat(p.exitValue()).as(out).isEqualTo(1);
            }
        }
    }

    @Test
    void withWorkerSecurityOffAWorkersCredentialIsNoCredentialAtAll() {
        ControlPlane off = new ControlPlane("127.0.0.1", queues, new ResultStore(store, new MutableClock()),
                new SnapshotStore(store, dir.resolve("snapshots"), new MutableClock()), agents, 1 << 20, 1 << 20);
        try {
            assertThat(off.workerUrl()).isEqualTo(off.url()).startsWith("http://");
            assertThat(off.tlsPin()).isNull();
            assertThat(off.workerToken("w1")).isEqualTo(off.token());
            ControlPlaneClient forged = new ControlPlaneClient(off.url(), plane.workerToken("w1"), "w1");
            assertThatThrownBy(() -> call(forged, "GET", "/v1/workers", null)).hasMessageContaining("(401)");
        } finally {
            off.close();
        }
    }
}
