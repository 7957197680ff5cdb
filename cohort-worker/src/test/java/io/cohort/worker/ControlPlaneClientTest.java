package io.cohort.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the Java library maps the session's answers: error statuses to exceptions with the session's message. */
class ControlPlaneClientTest {

    private static ReplayServer.Exchange exchange(String name, String method, String path, Map<String, Object> response) {
        return new ReplayServer.Exchange(name, List.of("java"), false,
                Map.of("method", method, "path", path, "headers", Map.of("Authorization", "Bearer", "X-Cohort-Worker", "w1")),
                response);
    }

    /** Every recorded exchange with an error status, answered to whatever the library asks. */
    @Test
    void everyRecordedErrorBecomesAnExceptionWithTheSessionsMessage() {
        for (ReplayServer.Exchange recorded : ReplayServer.recorded()) {
            int status = ((Number) recorded.response().get("status")).intValue();
            if (status < 400) {
                continue;
            }
            try (ReplayServer replay = new ReplayServer(List.of(exchange(recorded.name(), "GET", "/v1/workers",
                    (Map<String, Object>) (Map<?, ?>) recorded.response())), List.of())) {
                CohortClient c = new CohortClient(replay.url(), ReplayServer.TOKEN, "w1");
                String error = (String) ((Map<?, ?>) recorded.response().get("json")).get("error");
                assertThatThrownBy(c::workers).as(recorded.name()).isInstanceOf(IllegalStateException.class)
                        .hasMessage("the session refused GET /v1/workers (" + status + "): " + error);
                assertThat(replay.problems()).isEmpty();
            }
        }
    }

    @Test
    void anErrorThatIsNotJsonIsShownAsItIsAndTheConnectionStaysUsable() {
        try (ReplayServer replay = new ReplayServer(List.of(
                exchange("proxy", "GET", "/v1/workers", Map.of("status", 502, "content_type", "text/plain", "text", "bad gateway")),
                exchange("then", "GET", "/v1/workers", Map.of("status", 200, "content_type", "application/json", "json", List.of()))),
                List.of())) {
            CohortClient c = new CohortClient(replay.url(), ReplayServer.TOKEN, "w1");
            assertThatThrownBy(c::workers).hasMessage("the session refused GET /v1/workers (502): bad gateway");
            assertThat(c.workers()).isEmpty();
            assertThat(replay.problems()).isEmpty();
        }
    }

    @Test
    void aMissingResultIsNullButOtherRefusalsOfAGetAreThrown() {
        try (ReplayServer replay = new ReplayServer(List.of(
                exchange("missing", "GET", "/v1/results?key=a%20b", Map.of("status", 404, "content_type", "application/json",
                        "json", Map.of("error", "no result under key 'a b'"))),
                exchange("broken", "GET", "/v1/results?key=a%20b", Map.of("status", 500, "content_type", "application/json",
                        "json", Map.of("error", "the session failed")))),
                List.of())) {
            CohortClient c = new CohortClient(replay.url(), ReplayServer.TOKEN, "w1");
            assertThat(c.results().get("a b")).isNull();
            assertThatThrownBy(() -> c.results().get("a b"))
                    .hasMessage("the session refused GET /v1/results?key=a%20b (500): the session failed");
            assertThat(replay.problems()).isEmpty();
        }
    }

    @Test
    void aSessionThatIsGoneIsNamedWithTheRequest() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CohortClient c = new CohortClient("http://127.0.0.1:" + port, ReplayServer.TOKEN, "w1");
        assertThatThrownBy(c::workers).isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith("cannot reach the session at http://127.0.0.1:" + port + " (GET /v1/workers): ");
    }

    @Test
    void aUrlThatIsNotHttpHostPortIsRefused() {
        assertThatThrownBy(() -> new CohortClient("https://example.org", "t", "w1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("COHORT_API must look like http://HOST:PORT or https://HOST:PORT, got https://example.org");
    }

    @Test
    void httpsIsSpokenOnlyWithAPinAndAPinOnlyOverHttps() {
        assertThatThrownBy(() -> new CohortClient("https://127.0.0.1:1", "t", "w1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("COHORT_TLS_PIN is not set");
        assertThatThrownBy(() -> new CohortClient("http://127.0.0.1:1", "t", "w1", "sha256:" + "a".repeat(64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be https://");
        assertThatThrownBy(() -> new CohortClient("https://127.0.0.1:1", "t", "w1", "md5:abc"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("COHORT_TLS_PIN must be sha256:");
    }
}
