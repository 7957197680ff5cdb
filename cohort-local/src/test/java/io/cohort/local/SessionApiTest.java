package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The session API over HTTP (docs/session-api.md), against a real session and real workers: it is
 * the same session the Java API drives, so what one face does the other sees.
 */
@ExtendWith(LocalSessions.class)
class SessionApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    Fixtures.Console console = new Fixtures.Console();
    Session session;
    HttpClient http = HttpClient.newHttpClient();

    @Test
    void aLaunchOverHttpIsALaunchOfTheSessionWithTheReferencesFields() throws Exception {
        // Numbers as strings, as scripts pass them from environment variables.
        HttpResponse<String> r = call("POST", "/v1/workers", """
                {"n": "2", "cpu": "0.2", "memory": 0.25, "kernel": "shell", "code": "echo hello from $CDSW_ENGINE_ID", "env": {"MODE": "fast", "N": 3}}""");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Cohort-Event")).isPresent();
        JsonNode ws = JSON.readTree(r.body());
        assertThat(ws).hasSize(2);
        assertThat(ws.get(0).get("id").asText()).isEqualTo("w1");
        assertThat(ws.get(1).get("id").asText()).isEqualTo("w2");
        for (String field : List.of("id", "status", "kernel", "script", "code", "cpu", "memory", "nvidia_gpu", "env", "ip_address",
                "app_url", "created_at", "running_at", "finished_at", "duration", "exit_code", "reason")) {
            assertThat(ws.get(0).has(field)).as(field).isTrue();
        }
        assertThat(ws.get(0).get("env").get("N").asText()).isEqualTo("3");
        assertThat(session.list()).extracting(Worker::id).containsExactly("w1", "w2");

        // Await by description, with no time limit.
        JsonNode done = JSON.readTree(call("POST", "/v1/workers/await",
                "{\"ids\": " + ws + ", \"wait_for_completion\": true, \"timeout_seconds\": 0}").body());
        assertThat(done.get("failures")).isEmpty();
        assertThat(done.get("workers")).extracting(w -> w.get("status").asText()).containsExactly("succeeded", "succeeded");
        assertThat(done.get("workers").get(0).get("duration").isNumber()).isTrue();
        assertThat(session.get("w1").status()).isEqualTo(Status.SUCCEEDED);
        // A wait longer than any clock can count is a wait without limit, not an error.
        assertThat(call("POST", "/v1/workers/await", "{\"timeout_seconds\": 1e300}").statusCode()).isEqualTo(200);

        JsonNode out = JSON.readTree(call("GET", "/v1/workers/w2/output", null).body());
        assertThat(out.get("lines").get(0).get("text").asText()).isEqualTo("hello from w2");
        assertThat(out.get("next").asLong()).isEqualTo(1);
        assertThat(out.get("ended").asBoolean()).isTrue();
        assertThat(JSON.readTree(call("GET", "/v1/workers", null).body())).hasSize(2);
        assertThat(JSON.readTree(call("GET", "/v1/workers/w1", null).body()).get("ip_address").asText()).startsWith("127.");
    }

    @Test
    void aBadLaunchIsRefusedNamingTheFieldAndNothingStarts() throws Exception {
        assertRefused("{\"n\": 1, \"cpu\": -1, \"memory\": 1, \"code\": \"print(1)\"}", 400, "cpu");
        assertRefused("{\"n\": \"two\", \"cpu\": 1, \"memory\": 1, \"code\": \"print(1)\"}", 400, "\\\"n\\\"");
        assertRefused("{\"n\": 1.5, \"cpu\": 1, \"memory\": 1, \"code\": \"print(1)\"}", 400, "whole number");
        assertRefused("{\"n\": 1, \"cpu\": 1, \"code\": \"print(1)\"}", 400, "\\\"memory\\\" is required");
        assertRefused("{\"n\": 1, \"cpu\": 1, \"memory\": 1, \"kernel\": \"cobol\", \"code\": \"x\"}", 400, "kernel must be one of");
        assertRefused("{\"n\": 1, \"cpu\": 1, \"memory\": 1, \"code\": \"x\", \"name\": \"a\"}", 400, "unknown field \\\"name\\\"");
        assertRefused("{\"n\": 1, \"cpu\": 1, \"memory\": 1}", 400, "give \\\"script\\\"");
        assertRefused("{\"n\": 1, \"cpu\": 1, \"memory\": 1, \"env\": {\"A\": null}, \"code\": \"x\"}", 400, "env");
        assertRefused("{\"n\": 1, \"cpu\": 1, \"memory\": 1, \"script\": \"no-such.py\"}", 409, "does not exist");
        assertRefused("{\"n\": 1, \"cpu\": 1, \"memory\": 1, \"code\": \"def (:\"}", 409,
                "the Python code does not parse:\\nSyntaxError: invalid syntax, line 1:\\n    def (:");
        assertRefused("{\"n\": 1, \"cpu\": 100000, \"memory\": 1, \"code\": \"print(1)\"}", 409, "cores");
        assertThat(call("POST", "/v1/workers/await", "{\"timeout_seconds\": -1}").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/v1/workers/await", "{\"ids\": [\"w9\"]}").statusCode()).isEqualTo(404);
        assertThat(call("GET", "/v1/workers/w9/output", null).statusCode()).isEqualTo(404);

        assertThat(session.list()).isEmpty();
    }

    @Test
    void eventsResumeAfterTheLastIdSeenWithoutGapsOrRepeats() throws Exception {
        long start = JSON.readTree(call("POST", "/v1/workers", """
                {"n": 1, "cpu": 0.2, "memory": 0.25, "kernel": "shell", "code": "i=1; while [ $i -le 300 ]; do echo line $i; i=$((i+1)); done"}""")
                .body()).size();
        assertThat(start).isEqualTo(1);
        session.await(List.of("w1"), true, Duration.ofSeconds(30));

        List<String> texts = new ArrayList<>();
        List<Long> numbers = new ArrayList<>();
        // Read part of the stream, leave, and come back with the last id seen.
        long last = readEvents("after=0", null, 100, texts, numbers);
        readEvents("", Long.toString(last), Integer.MAX_VALUE, texts, numbers);

        List<String> expected = new ArrayList<>();
        List<Long> lineNumbers = new ArrayList<>();
        for (int i = 1; i <= 300; i++) {
            expected.add("line " + i);
            lineNumbers.add((long) i - 1);
        }
        assertThat(texts).containsExactlyElementsOf(expected);
        assertThat(numbers).containsExactlyElementsOf(lineNumbers);
    }

    @Test
    void outputWaitsForTheNextLineAndStopTakesDescriptions() throws Exception {
        JsonNode w = JSON.readTree(call("POST", "/v1/workers", """
                {"n": 1, "cpu": 0.2, "memory": 0.25, "kernel": "shell", "code": "echo first; sleep 600; echo never"}""").body()).get(0);
        JsonNode first = JSON.readTree(call("GET", "/v1/workers/w1/output?wait_ms=30000", null).body());
        assertThat(first.get("lines").get(0).get("text").asText()).isEqualTo("first");
        assertThat(first.get("ended").asBoolean()).isFalse();

        // Nothing more comes; the wait ends when the worker does.
        Thread stopper = new Thread(() -> session.stop(List.of("w1")));
        HttpRequest waiting = request("GET", "/v1/workers/w1/output?offset=1&wait_ms=60000", null);
        var answer = http.sendAsync(waiting, HttpResponse.BodyHandlers.ofString());
        stopper.start();
        JsonNode rest = JSON.readTree(answer.get().body());
        assertThat(rest.get("ended").asBoolean()).isTrue();
        assertThat(rest.get("lines")).isEmpty();

        JsonNode stopped = JSON.readTree(call("POST", "/v1/workers/stop", "{\"ids\": [" + w + "]}").body());
        assertThat(stopped.get(0).get("status").asText()).isEqualTo("stopped");
        assertThat(stopped.get(0).get("reason").asText()).isEqualTo("stopped by the user");
    }

    @Test
    void closingOverHttpEndsTheSessionAndItsWorkers() throws Exception {
        call("POST", "/v1/workers", "{\"n\": 2, \"cpu\": 0.2, \"memory\": 0.25, \"kernel\": \"shell\", \"code\": \"sleep 600\"}");
        session.await(List.of(), false, Duration.ofSeconds(30));

        assertThat(call("POST", "/v1/session/close", "").statusCode()).isEqualTo(200);

        assertThat(session.awaitClosed(Duration.ofSeconds(30))).isTrue();
        assertThat(session.list()).extracting(Worker::status).containsOnly(Status.STOPPED);
        assertThat(Fixtures.survivors(session.id())).isEmpty();
    }

    @Test
    void theSessionDescribesItselfAsAnEngine() throws Exception {
        JsonNode s = JSON.readTree(call("GET", "/v1/session", null).body());
        assertThat(s.get("id").asText()).isEqualTo(session.id());
        assertThat(s.has("token")).isFalse();
        assertThat(s.get("engine_env").get("CDSW_ENGINE_ID").asText()).isEqualTo(session.id());
        assertThat(s.get("engine_env").get("CDSW_APP_PORT").asText()).isEqualTo("8080");
        assertThat(call("GET", "/v1/session", null, "wrong-token").statusCode()).isEqualTo(401);
    }

    /** Reads output events until {@code max} lines have come or the worker's end is seen; returns the last id read. */
    private long readEvents(String query, String lastEventId, int max, List<String> texts, List<Long> numbers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(session.controlPlaneUrl() + "/v1/events?" + query))
                .header("Authorization", "Bearer " + session.controlPlaneToken());
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<java.io.InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        long last = -1;
        int read = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String type = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    JsonNode data = JSON.readTree(line.substring(6));
                    last = Long.parseLong(id);
                    if (type.equals("output")) {
                        texts.add(data.get("text").asText());
                        numbers.add(data.get("line").asLong());
                        if (++read >= max) {
                            return last;
                        }
                    } else if (type.equals("worker") && data.get("status").asText().equals("succeeded")) {
                        return last;
                    }
                }
            }
        }
        return last;
    }

    private void assertRefused(String body, int status, String message) throws Exception {
        HttpResponse<String> r = call("POST", "/v1/workers", body);
        assertThat(r.statusCode()).as(body).isEqualTo(status);
        assertThat(r.body()).as(body).startsWith("{\"error\":").contains(message);
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return call(method, path, body, session.controlPlaneToken());
    }

    private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(session.controlPlaneUrl() + path))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest request(String method, String path, String body) {
        return HttpRequest.newBuilder(URI.create(session.controlPlaneUrl() + path))
                .header("Authorization", "Bearer " + session.controlPlaneToken())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
