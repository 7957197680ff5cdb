package io.cohort.core.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.core.MutableClock;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.queue.QueueService;
import io.cohort.core.queue.SqliteQueueJournal;
import io.cohort.core.results.ResultStore;
import io.cohort.core.results.SnapshotStore;
import io.cohort.core.store.Durability;
import io.cohort.core.store.Store;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reliability: takes that wait for an item hold no thread. With more waiting takes than the control
 * plane has threads, a heartbeat and a put are still answered, the session's thread count stays
 * small, and every waiting take gets exactly one of the items put afterwards.
 */
class WaitingTakesTest {
    /** More than the control plane's 512 threads (and than the 1024 it had when a wait held one). */
    static final int TAKES = 1500;

    @TempDir
    Path dir;
    Store store;
    QueueService queues;
    ControlPlane plane;
    final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void open() {
        MutableClock clock = new MutableClock();
        store = Store.open(dir.resolve("session.db"), Durability.COMMIT);
        queues = new QueueService(new SqliteQueueJournal(store), clock);
        plane = new ControlPlane("127.0.0.1", queues, new ResultStore(store, clock),
                new SnapshotStore(store, dir.resolve("snapshots"), clock), new AgentRegistry(clock), 1 << 20, 10_000);
    }

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        plane.close();
        store.close();
    }

    @Test
    void manyWaitingTakesHoldNoThreadsAndEachGetsOneItem() throws Exception {
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        String body = "{\"max\":1,\"wait_ms\":60000}";
        URI api = URI.create(plane.url());
        for (int i = 0; i < TAKES; i++) {
            Socket s = new Socket(api.getHost(), api.getPort());
            s.setSoTimeout(60_000);
            sockets.add(s);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/queues/q/take HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + plane.token()
                    + "\r\nX-Cohort-Worker: w" + i + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> queues.waitingTakes("q") == TAKES);

        // Every take waits, yet the session holds far fewer threads than takes: the burst of 1,500
        // connections may grow the pool to its 512, but a waiting take holds none (it held one each before).
        assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThan(threadsBefore + 600);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> heartbeat = http.send(HttpRequest.newBuilder(api.resolve("/v1/heartbeat"))
                .header("Authorization", "Bearer " + plane.token()).header("X-Cohort-Worker", "w0")
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(heartbeat.statusCode()).isEqualTo(200);
        StringBuilder items = new StringBuilder("{\"items\":[");
        for (int i = 0; i < TAKES; i++) {
            items.append(i == 0 ? "" : ",").append(i);
        }
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(api.resolve("/v1/queues/q/items"))
                .header("Authorization", "Bearer " + plane.token())
                .POST(HttpRequest.BodyPublishers.ofString(items + "]}")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.body()).isEqualTo("{\"added\":" + TAKES + "}");

        // Each waiting take is answered with exactly one item, and no item goes to two of them.
        Pattern value = Pattern.compile("\"value\":(\\d+)");
        Set<Integer> seen = new HashSet<>();
        for (Socket s : sockets) {
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200");
            Matcher m = value.matcher(answer);
            assertThat(m.find()).as(answer).isTrue();
            assertThat(seen.add(Integer.parseInt(m.group(1)))).as("item %s went to two takes", m.group(1)).isTrue();
            assertThat(m.find()).as("one item per take of max 1: %s", answer).isFalse();
        }
        assertThat(seen).hasSize(TAKES);
        assertThat(queues.progress("q").inFlight()).isEqualTo(TAKES);
    }

    @Test
    void aTakeWhoseCallerLeftGivesItsItemBack() throws Exception {
        URI api = URI.create(plane.url());
        String body = "{\"max\":1,\"wait_ms\":60000}";
        Socket s = new Socket(api.getHost(), api.getPort());
        sockets.add(s);
        s.getOutputStream().write(("POST /v1/queues/q/take HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + plane.token() + "\r\nX-Cohort-Worker: w1\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII));
        await().atMost(Duration.ofSeconds(30)).until(() -> queues.waitingTakes("q") == 1);
        s.setSoLinger(true, 0);
        s.close(); // a reset: the answer cannot be written
        queues.put("q", List.of("\"x\""), null);
        // The item was leased to the take that left; its answer fails, and the item is ready again.
        await().atMost(Duration.ofSeconds(30)).until(() -> queues.progress("q").ready() == 1);
        assertThat(queues.take("q", "w2", 1, Duration.ZERO, List.of()).items()).singleElement()
                .satisfies(l -> assertThat(l.attempt()).as("the undelivered lease used no attempt").isEqualTo(1));
    }
}
