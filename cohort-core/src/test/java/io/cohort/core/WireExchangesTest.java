package io.cohort.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workers' wire format, recorded from the real control plane: a session (on the scripted
 * backend, with one running worker w1) is driven through {@link #SCENARIO}, and every answer must
 * equal the one recorded in clients/protocol/exchanges (see the README there), except the fields
 * that vary from run to run ({@link #VARYING}). The Java, Python and R clients are tested against
 * the same files by cohort-worker's replay tests, so server and clients cannot drift apart.
 *
 * <p>To record them again after a deliberate change of the protocol:
 * {@code mvn -B test -pl cohort-core -am -Dtest=WireExchangesTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dcohort.recordExchanges=true}, then read the diff.
 */
class WireExchangesTest {
    static final Path EXCHANGES = Path.of("..", "clients", "protocol", "exchanges").toAbsolutePath().normalize();
    /** Keys whose values vary from run to run: compared only as null or not null. So is any key ending in "_at". */
    static final Set<String> VARYING = Set.of("rate_per_second", "eta_seconds", "duration", "session_id");
    static final List<String> ALL = List.of("java", "python", "r");
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** One step: what is asked, by whom, and which clients make the same request in their replay. */
    record Step(String name, String about, List<String> clients, boolean anytime, String method, String path,
                Long item, boolean token, String json, String text) {
        static Step of(String name, String about, List<String> clients, String method, String path, String json) {
            return new Step(name, about, clients, false, method, path, null, true, json, null);
        }

        Step taggedWith(long id) {
            return new Step(name, about, clients, anytime, method, path, id, token, json, text);
        }

        Step bytes(String body) {
            return new Step(name, about, clients, anytime, method, path, item, token, null, body);
        }

        Step noToken() {
            return new Step(name, about, clients, anytime, method, path, item, false, json, text);
        }

        Step atAnyMoment() {
            return new Step(name, about, clients, true, method, path, item, token, json, text);
        }
    }

    static final String TAKE = "{\"max\":1,\"wait_ms\":30000,\"ack\":%s}";

    static final List<Step> SCENARIO = List.of(
            Step.of("01-items-put", "add an item", ALL, "POST", "/v1/queues/params/items", "{\"items\":[{\"lr\":0.1}]}"),
            Step.of("02-items-put-keyed", "add an item with a key", ALL, "POST", "/v1/queues/params/items",
                    "{\"items\":[{\"lr\":0.2}],\"keys\":[\"lr=0.2\"]}"),
            Step.of("03-items-put-keyed-again", "a key the queue has seen: skipped", ALL, "POST", "/v1/queues/params/items",
                    "{\"items\":[{\"lr\":0.2}],\"keys\":[\"lr=0.2\"]}"),
            Step.of("04-items-put-big-integer", "an integer beyond 64 bits travels exactly (R's numbers are doubles: not R)",
                    List.of("java", "python"), "POST", "/v1/queues/params/items",
                    "{\"items\":[{\"lr\":0.3,\"seed\":123456789012345678901234567890}]}"),
            Step.of("05-queue-close", "close the queue (the session does this; no worker library has it)", List.of(),
                    "POST", "/v1/queues/params/close", null),
            Step.of("06-items-put-closed", "adding to a closed queue is refused", ALL, "POST", "/v1/queues/params/items",
                    "{\"items\":[{\"lr\":0.4}]}"),
            Step.of("07-take-first", "lease one item; nothing to acknowledge yet", ALL, "POST", "/v1/queues/params/take",
                    TAKE.formatted("[]")),
            Step.of("08-result-put", "store a result, tagged with the item being worked on", ALL, "PUT",
                    "/v1/results?key=lr%3D0.1", "{\"score\":0.93}").taggedWith(1),
            Step.of("09-snapshot-put", "save a snapshot's bytes, tagged with the item", ALL, "PUT", "/v1/snapshots/model-1", null)
                    .taggedWith(1).bytes("weights-1"),
            Step.of("10-take-ack", "acknowledge item 1 and lease the next", ALL, "POST", "/v1/queues/params/take",
                    TAKE.formatted("[1]")),
            Step.of("11-result-put-unicode", "a key and a value beyond ASCII (the key percent-encoded as UTF-8)", ALL, "PUT",
                    "/v1/results?key=%CE%BB%3D0.2", "{\"score\":0.88,\"note\":\"\u00e9\\ud83d\\ude00\"}").taggedWith(2),
            Step.of("12-take-ack", "acknowledge item 2 and lease the next", ALL, "POST", "/v1/queues/params/take",
                    TAKE.formatted("[2]")),
            Step.of("13-result-put-big-integer", "a result holding an integer beyond 64 bits", List.of("java", "python"), "PUT",
                    "/v1/results?key=lr%3D0.3", "{\"seed\":123456789012345678901234567890,\"score\":0.91}").taggedWith(3),
            Step.of("14-result-put", "the same key again replaces the result", List.of("r"), "PUT",
                    "/v1/results?key=lr%3D0.3", "{\"score\":0.91}").taggedWith(3),
            Step.of("15-take-done", "acknowledge item 3: the queue is closed and drained, done", ALL, "POST",
                    "/v1/queues/params/take", TAKE.formatted("[3]")),
            Step.of("16-heartbeat", "extend the caller's leases (clients send it on a timer: at any moment in a replay)",
                    ALL, "POST", "/v1/heartbeat", "{}").atAnyMoment(),
            Step.of("17-result-get", "read a result", ALL, "GET", "/v1/results?key=lr%3D0.1", null),
            Step.of("18-result-get-missing", "no such result (Java and Python give null/None, R an error)", ALL, "GET",
                    "/v1/results?key=nothing", null),
            Step.of("19-snapshot-get", "read a snapshot's bytes", ALL, "GET", "/v1/snapshots/model-1", null),
            Step.of("20-workers", "every worker of the session", ALL, "GET", "/v1/workers", null),
            Step.of("21-fail-not-held", "failing an item the caller no longer holds is harmless", ALL, "POST",
                    "/v1/queues/params/fail", "{\"id\":1,\"error\":\"diverged\"}"),
            Step.of("22-fail-unknown", "failing an id the queue never had: 404 naming it", ALL, "POST",
                    "/v1/queues/params/fail", "{\"id\":99,\"error\":\"diverged\"}"),
            Step.of("23-queue-progress", "a queue's progress", List.of(), "GET", "/v1/queues/params", null),
            Step.of("24-queues", "the queue names", List.of(), "GET", "/v1/queues", null),
            Step.of("25-ack", "acknowledging again is harmless", List.of(), "POST", "/v1/queues/params/ack",
                    "{\"ids\":[1,2]}"),
            Step.of("26-ack-unknown", "an id the queue never had: 404, nothing acknowledged", List.of(), "POST",
                    "/v1/queues/params/ack", "{\"ids\":[1,99]}"),
            Step.of("27-results-list", "every result, in key order", List.of(), "GET", "/v1/results", null),
            Step.of("28-results-list-prefix", "the results whose key starts with a prefix", List.of(), "GET",
                    "/v1/results?prefix=lr%3D0.1", null),
            Step.of("29-snapshots-list", "every snapshot", List.of(), "GET", "/v1/snapshots", null),
            Step.of("30-snapshot-get-missing", "no such snapshot", List.of(), "GET", "/v1/snapshots/nothing", null),
            Step.of("31-no-token", "a request without the token", List.of(), "POST", "/v1/queues/params/items",
                    "{\"items\":[1]}").noToken(),
            Step.of("32-bad-request", "a field of the wrong type", List.of(), "POST", "/v1/queues/params/take", null)
                    .bytes("{\"max\":\"x\"}"),
            Step.of("33-not-json", "a body that is not JSON", List.of(), "PUT", "/v1/results?key=k", null).bytes("{oops"),
            Step.of("34-unknown-endpoint", "no such endpoint", List.of(), "GET", "/v1/nowhere", null),
            Step.of("35-wrong-method", "a method the endpoint does not take", List.of(), "DELETE", "/v1/queues/params/take",
                    null));

    @TempDir
    Path home;
    Session session;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void open() {
        session = Session.open(SessionOptions.builder().home(home).backend("scripted")
                .console(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .stopGrace(Duration.ofSeconds(3)).build());
        session.launch(LaunchRequest.of(1, 1, 1, Program.shell("true")));
        ScriptedBackend.OPEN.get(session.id()).sink("w1").running(4242);
    }

    @AfterEach
    void close() {
        session.close();
    }

    @Test
    void theControlPlaneAnswersEveryRecordedExchangeAsRecorded() throws Exception {
        boolean record = Boolean.getBoolean("cohort.recordExchanges");
        if (record) {
            Files.createDirectories(EXCHANGES);
            List<String> names = SCENARIO.stream().map(s -> s.name() + ".json").toList();
            try (var old = Files.list(EXCHANGES)) {
                for (Path p : old.filter(p -> p.toString().endsWith(".json") && !names.contains(p.getFileName().toString())).toList()) {
                    Files.delete(p);
                }
            }
        }
        List<String> problems = new ArrayList<>();
        for (Step step : SCENARIO) {
            ObjectNode exchange = exchange(step, send(step));
            Path file = EXCHANGES.resolve(step.name() + ".json");
            if (record) {
                // A file whose exchange is unchanged but for the varying values is kept, so the diff shows only changes.
                if (!Files.exists(file) || !same(JSON.readTree(Files.readString(file)), exchange)) {
                    Files.writeString(file, JSON.writeValueAsString(exchange) + "\n");
                }
                continue;
            }
            assertThat(file).as("recorded exchange %s (record with -Dcohort.recordExchanges=true)", step.name()).exists();
            JsonNode recorded = JSON.readTree(Files.readString(file));
            if (!same(recorded.get("request"), exchange.get("request"))) {
                problems.add(step.name() + ": the recorded request differs from the scenario's:\n  recorded " + recorded.get("request")
                        + "\n  scenario " + exchange.get("request"));
            }
            if (!same(recorded.get("response"), exchange.get("response"))) {
                problems.add(step.name() + ": the session answered differently:\n  recorded " + recorded.get("response")
                        + "\n  now      " + exchange.get("response"));
            }
        }
        if (!record) {
            try (var files = Files.list(EXCHANGES)) {
                List<String> names = SCENARIO.stream().map(s -> s.name() + ".json").toList();
                List<String> stray = files.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".json") && !names.contains(n)).toList();
                assertThat(stray).as("recorded exchanges no scenario step makes").isEmpty();
            }
        }
        assertThat(problems).isEmpty();
    }

    private HttpResponse<byte[]> send(Step step) throws IOException, InterruptedException {
        byte[] body = step.json() != null ? step.json().getBytes(StandardCharsets.UTF_8)
                : step.text() != null ? step.text().getBytes(StandardCharsets.UTF_8) : new byte[0];
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(session.controlPlaneUrl() + step.path()))
                .method(step.method(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(30))
                .header("X-Cohort-Worker", "w1");
        if (step.token()) {
            b.header("Authorization", "Bearer " + session.controlPlaneToken());
        }
        if (step.item() != null) {
            b.header("X-Cohort-Item", Long.toString(step.item()));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The exchange as the files hold it. */
    private static ObjectNode exchange(Step step, HttpResponse<byte[]> response) throws IOException {
        ObjectNode e = JsonNodeFactory.instance.objectNode();
        e.put("name", step.name());
        e.put("about", step.about());
        e.set("clients", JSON.valueToTree(step.clients()));
        if (step.anytime()) {
            e.put("anytime", true);
        }
        ObjectNode request = e.putObject("request");
        request.put("method", step.method());
        request.put("path", step.path());
        ObjectNode headers = request.putObject("headers");
        headers.put("Authorization", step.token() ? "Bearer $COHORT_TOKEN" : null);
        headers.put("X-Cohort-Worker", "w1");
        if (step.item() != null) {
            headers.put("X-Cohort-Item", step.item().toString());
        }
        if (step.json() != null) {
            request.set("json", JSON.readTree(step.json()));
        } else if (step.text() != null) {
            request.put("text", step.text());
        }
        ObjectNode answer = e.putObject("response");
        answer.put("status", response.statusCode());
        String type = response.headers().firstValue("Content-Type").orElse(null);
        answer.put("content_type", type);
        String text = new String(response.body(), StandardCharsets.UTF_8);
        if (type != null && type.startsWith("application/json")) {
            answer.set("json", JSON.readTree(text));
        } else {
            answer.put("text", text);
        }
        return e;
    }

    /** Equal once the varying values are masked, numbers compared by value (1 and 1.0 are the same number). */
    static boolean same(JsonNode a, JsonNode b) {
        return normalized(a).equals((x, y) -> x.isNumber() && y.isNumber() ? x.decimalValue().compareTo(y.decimalValue())
                : x.equals(y) ? 0 : 1, normalized(b));
    }

    /** A copy with every varying value replaced by whether it was null. */
    static JsonNode normalized(JsonNode node) {
        JsonNode copy = node.deepCopy();
        mask(copy);
        return copy;
    }

    private static void mask(JsonNode node) {
        if (node instanceof ObjectNode o) {
            List<String> keys = new ArrayList<>();
            o.fieldNames().forEachRemaining(keys::add);
            for (String key : keys) {
                JsonNode value = o.get(key);
                if ((key.endsWith("_at") || VARYING.contains(key)) && !value.isContainerNode()) {
                    o.set(key, new TextNode(value.isNull() ? "<null>" : "<varies>"));
                } else {
                    mask(value);
                }
            }
        } else if (node.isArray()) {
            node.forEach(WireExchangesTest::mask);
        }
    }
}
