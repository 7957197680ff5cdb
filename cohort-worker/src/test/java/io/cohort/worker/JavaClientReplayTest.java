package io.cohort.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Java worker library through the exchanges recorded from the real control plane (see
 * {@link ReplayServer}): every request it makes must be the recorded one, and it must understand
 * every recorded answer, errors included.
 */
class JavaClientReplayTest {
    static final BigInteger SEED = new BigInteger("123456789012345678901234567890");

    @Test
    void theJavaLibraryMakesTheRecordedRequestsAndReadsTheRecordedAnswers() {
        try (ReplayServer replay = ReplayServer.forClient("java")) {
            CohortClient c = new CohortClient(replay.url(), ReplayServer.TOKEN, "w1");
            WorkItems q = c.queue("params");
            q.put(Map.of("lr", 0.1));
            assertThat(q.putUnique("lr=0.2", Map.of("lr", 0.2))).isTrue();
            assertThat(q.putUnique("lr=0.2", Map.of("lr", 0.2))).isFalse();
            q.put(Map.of("lr", 0.3, "seed", SEED));
            assertThatThrownBy(() -> q.put(Map.of("lr", 0.4))).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the session refused POST /v1/queues/params/items (409): queue 'params' is closed: no more"
                            + " items can be added to it");

            List<String> seen = new ArrayList<>();
            for (Item item : q) {
                seen.add(item.id() + "/" + item.attempt());
                switch ((int) item.id()) {
                    case 1 -> {
                        assertThat(item.getDouble("lr")).isEqualTo(0.1);
                        c.results().put("lr=0.1", Map.of("score", 0.93));
                        c.snapshots().save("model-1", "weights-1".getBytes(StandardCharsets.UTF_8));
                    }
                    case 2 -> c.results().put("\u03bb=0.2", Map.of("score", 0.88, "note", "\u00e9\ud83d\ude00"));
                    case 3 -> {
                        assertThat(item.getNumber("seed")).isEqualTo(SEED);
                        Map<String, Object> result = new LinkedHashMap<>();
                        result.put("seed", item.getNumber("seed"));
                        result.put("score", 0.91);
                        c.results().put("lr=0.3", result);
                    }
                    default -> throw new AssertionError("unexpected item " + item);
                }
            }
            assertThat(seen).containsExactly("1/1", "2/1", "3/1");

            assertThat(c.results().get("lr=0.1")).isEqualTo(Map.of("score", 0.93));
            assertThat(c.results().get("nothing")).isNull();
            assertThat(c.snapshots().read("model-1")).asString(StandardCharsets.UTF_8).isEqualTo("weights-1");
            assertThat(c.workers()).containsExactly(new Peer("w1", "running", "shell", "10.0.0.1", "http://10.0.0.1:8080/"));
            q.fail(new Item(1, 1, "{}"), "diverged");
            assertThatThrownBy(() -> q.fail(new Item(99, 1, "{}"), "diverged")).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the session refused POST /v1/queues/params/fail (404): queue 'params' has no item with id 99;"
                            + " ids are those a take returned");
            assertThat(replay.problems()).isEmpty();
        }
    }
}
