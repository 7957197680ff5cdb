package io.cohort.core.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.OutputLine;
import io.cohort.core.Json;
import io.cohort.core.WorkerEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The events stream keeps output in batches, yet hands out one numbered event per line, as before. */
class SessionEventsTest {
    private final SessionEvents events = new SessionEvents(w -> Map.of("id", w.id()));

    private static List<String> texts(int from, int n) {
        return IntStream.range(from, from + n).mapToObj(i -> "line \"" + i + "\"\t").toList();
    }

    @Test
    void eachLineOfABatchIsAnEventNumberedPerWorkerWithTheJsonTheMapWouldGive() throws InterruptedException {
        events.accept(new WorkerEvent.Output("w1", OutputLine.Stream.STDOUT, texts(0, 3)));
        events.accept(new WorkerEvent.Output("w2", OutputLine.Stream.STDERR, texts(0, 1)));
        events.accept(new WorkerEvent.Output("w1", OutputLine.Stream.STDERR, texts(3, 2)));

        List<SessionEvents.Event> all = events.after(0, e -> true, 0);
        assertThat(all).extracting(SessionEvents.Event::id).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(all).extracting(SessionEvents.Event::worker).containsExactly("w1", "w1", "w1", "w2", "w1", "w1");
        Map<String, Object> fifth = new LinkedHashMap<>();
        fifth.put("worker", "w1");
        fifth.put("stream", "err");
        fifth.put("text", "line \"3\"\t");
        fifth.put("line", 3L);
        assertThat(all.get(4).data()).isEqualTo(Json.write(fifth));
        assertThat(events.lines("w1")).isEqualTo(5);
        assertThat(events.after(2, e -> "w2".equals(e.worker()), 0)).extracting(SessionEvents.Event::id).containsExactly(4L);
        assertThat(events.after(4, e -> "w2".equals(e.worker()), 0)).extracting(SessionEvents.Event::type).containsExactly("skip");
    }

    @Test
    void pastTheLimitTheOldestLinesGoEvenFromTheMiddleOfABatchAndAReaderIsToldOfTheGap() throws InterruptedException {
        int batch = 30_000;
        for (int i = 0; i < 4; i++) {
            events.accept(new WorkerEvent.Output("w1", OutputLine.Stream.STDOUT, texts(i * batch, batch)));
        }
        List<SessionEvents.Event> all = new ArrayList<>(events.after(0, e -> true, 0));

        long total = 4L * batch;
        long kept = SessionEvents.MAX_EVENTS;
        assertThat(all.get(0).type()).isEqualTo("gap");
        assertThat(all.get(0).data()).isEqualTo("{\"from\":1,\"to\":" + (total - kept) + "}");
        assertThat(all).hasSize((int) kept + 1);
        assertThat(all.get(1).id()).isEqualTo(total - kept + 1);
        assertThat(all.get(1).data()).contains("\"line\":" + (total - kept) + "}").contains("line \\\"" + (total - kept) + "\\\"");
        assertThat(all.get(all.size() - 1).id()).isEqualTo(total);
        assertThat(events.lastId()).isEqualTo(total);
    }
}
