package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Status;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The endpoints the dashboard reads besides the session API's own (docs/dashboard.md), over HTTP
 * with the token, on a real session with real workers.
 */
@ExtendWith(LocalSessions.class)
class DashboardApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    Session session;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aDashboardsStreamGroupsLinesAndOneFarBehindSkipsToTheNewestCountingWhatItSkipped() throws Exception {
        int lines = 30_000;
        session.launch(new LaunchRequest(1, 0.5, 0.1, 0, Program.shell("seq 1 " + lines), Map.of()));
        session.await(List.of("w1"), true, Duration.ofSeconds(60));

        List<String[]> events = new ArrayList<>();
        HttpResponse<InputStream> r = http.send(get("/v1/events?after=0&group=lines").build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String type = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    events.add(new String[] {type, line.substring(6)});
                    if (type.equals("worker") && line.contains("\"succeeded\"")) {
                        break;
                    }
                }
            }
        }

        long skipped = 0;
        List<String> delivered = new ArrayList<>();
        for (String[] e : events) {
            if (e[0].equals("skipped")) {
                skipped += JSON.readTree(e[1]).get("lines").asLong();
            } else if (e[0].equals("lines")) {
                JSON.readTree(e[1]).get("lines").forEach(l -> delivered.add(l.get("text").asText()));
            }
            assertThat(e[0]).isNotEqualTo("output");
        }
        // Every line is either delivered or counted; those delivered are the newest, in order.
        assertThat(skipped + delivered.size()).isEqualTo(lines);
        assertThat(delivered.size()).isLessThanOrEqualTo(2_000).isPositive();
        assertThat(delivered.get(delivered.size() - 1)).isEqualTo(Integer.toString(lines));
        assertThat(delivered).isEqualTo(IntStream.rangeClosed(lines - delivered.size() + 1, lines).mapToObj(Integer::toString).toList());
        // Worker events are never skipped: the worker's start came before its lines, its end after.
        assertThat(events).anyMatch(e -> e[0].equals("worker") && e[1].contains("\"running\""));
    }

    @Test
    void aWorkersTailIsItsNewestLinesNumbered() throws Exception {
        session.launch(new LaunchRequest(1, 0.2, 0.1, 0, Program.shell("seq 1 100"), Map.of()));
        session.await(List.of("w1"), true, Duration.ofSeconds(30));

        JsonNode tail = JSON.readTree(call(get("/v1/workers/w1/output?tail=10")).body());

        assertThat(tail.get("first").asLong()).isEqualTo(90);
        assertThat(tail.get("next").asLong()).isEqualTo(100);
        assertThat(tail.get("lines")).extracting(l -> l.get("text").asText())
                .containsExactlyElementsOf(IntStream.rangeClosed(91, 100).mapToObj(Integer::toString).toList());
    }

    @Test
    void aQueuesItemsComeAPageAtATimeEachWithItsState() throws Exception {
        session.queue("q").putAll(IntStream.rangeClosed(1, 25).mapToObj(i -> Map.of("i", i)).toList());

        JsonNode first = JSON.readTree(call(get("/v1/queues/q/items?limit=10")).body());
        JsonNode last = JSON.readTree(call(get("/v1/queues/q/items?limit=10&after=" + first.get("next").asLong() + "0")).body());
        JsonNode second = JSON.readTree(call(get("/v1/queues/q/items?limit=10&after=" + first.get("next").asLong())).body());
        JsonNode third = JSON.readTree(call(get("/v1/queues/q/items?limit=10&after=" + second.get("next").asLong())).body());

        assertThat(first.get("items")).hasSize(10).allMatch(i -> i.get("state").asText().equals("ready"));
        assertThat(first.get("items").get(0).get("value").get("i").asInt()).isEqualTo(1);
        assertThat(second.get("items").get(0).get("value").get("i").asInt()).isEqualTo(11);
        assertThat(third.get("items")).hasSize(5);
        assertThat(third.get("next").isNull()).isTrue();
        assertThat(last.get("items")).isEmpty();
        assertThat(call(get("/v1/queues/q/items?limit=0")).statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(call(get("/v1/queues/q/dead")).body())).isEmpty();
    }

    @Test
    void resourcesShowTheMachineAndEachRunningWorkersMemoryAndCpu() throws Exception {
        session.launch(new LaunchRequest(1, 0.5, 0.25, 0, Program.shell("exec sleep 600"), Map.of()));
        await().atMost(Duration.ofSeconds(30)).until(() -> session.get("w1").status() == Status.RUNNING);

        JsonNode sample = JSON.readTree(call(get("/v1/resources")).body());

        assertThat(sample.get("machine").get("cpus").asInt()).isPositive();
        assertThat(sample.get("machine").get("memory_total").asLong()).isPositive();
        assertThat(sample.get("workers").get("w1").get("memory_bytes").asLong()).isPositive();
    }

    @Test
    void aWorkersAppGetsTheRequestsBodyAndHeadersButNoneOfTheSessionsCredentials() throws Exception {
        session.launch(new LaunchRequest(1, 0.5, 0.25, 0, Program.code(Kernel.PYTHON3, """
                import json, os, http.server
                class App(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                        seen = {"path": self.path, "body": body, "headers": {k.lower(): v for k, v in self.headers.items()}}
                        out = json.dumps(seen).encode()
                        self.send_response(201)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(out)))
                        self.end_headers()
                        self.wfile.write(out)
                    def do_GET(self):
                        self.send_response(302)
                        self.send_header("Location", "/elsewhere")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                http.server.HTTPServer((os.environ["CDSW_IP_ADDRESS"], int(os.environ["CDSW_APP_PORT"])), App).serve_forever()
                """), Map.of()));
        await().atMost(Duration.ofSeconds(30)).until(() -> session.get("w1").status() == Status.RUNNING);
        HttpRequest post = get("/apps/w1/form?a=1").header("X-Custom", "kept").header("Cookie", "app=1")
                .POST(HttpRequest.BodyPublishers.ofString("hello app")).build();
        HttpResponse<String> answer = await().atMost(Duration.ofSeconds(30)).until(() -> call(post), a -> a.statusCode() == 201);

        JsonNode seen = JSON.readTree(answer.body());
        assertThat(seen.get("path").asText()).isEqualTo("/form?a=1");
        assertThat(seen.get("body").asText()).isEqualTo("hello app");
        assertThat(seen.get("headers").get("x-custom").asText()).isEqualTo("kept");
        assertThat(seen.get("headers").get("cookie").asText()).isEqualTo("app=1");
        assertThat(seen.get("headers").get("x-forwarded-prefix").asText()).isEqualTo("/apps/w1");
        assertThat(seen.get("headers").has("authorization")).isFalse();
        assertThat(answer.body()).doesNotContain(session.controlPlaneToken());
        // The app's redirect to its own root stays under its prefix.
        HttpResponse<String> redirect = call(get("/apps/w1/").build());
        assertThat(redirect.statusCode()).as(redirect.body()).isEqualTo(302);
        assertThat(redirect.headers().firstValue("Location")).contains("/apps/w1/elsewhere");
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(session.controlPlaneUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + session.controlPlaneToken());
    }

    private HttpResponse<String> call(HttpRequest.Builder b) throws Exception {
        return call(b.build());
    }

    private HttpResponse<String> call(HttpRequest r) throws Exception {
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }
}
