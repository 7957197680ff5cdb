package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.CohortException;
import io.cohort.GroupRole;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Readiness;
import io.cohort.Rendezvous;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.WorkerGroup;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Worker groups (docs/groups.md) on real local workers: every worker knows who it is, a group's
 * handle reaches only its members, the rendezvous is made once every member runs (and fails, naming
 * the member, when one ends first), and service workers count as up only once ready.
 */
@ExtendWith(LocalSessions.class)
class GroupsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    Fixtures.Console console = new Fixtures.Console();
    Session session;

    @Test
    void everyWorkerOfALaunchKnowsItsRankTheSizeAndItsMaster() {
        List<Worker> ws = session.launch(LaunchRequest.of(3, 0.1, 0.1, Program.shell(
                "echo $COHORT_GROUP $COHORT_ROLE $RANK $WORLD_SIZE $LOCAL_RANK $MASTER_ADDR $MASTER_PORT $COHORT_LAUNCH_SIZE")));
        List<Worker> done = session.await(ws, true, Duration.ofSeconds(30)).workers();
        assertThat(done).hasSize(3);
        String master = done.get(0).ipAddress();
        String port = null;
        for (int rank = 0; rank < 3; rank++) {
            Worker w = done.get(rank);
            assertThat(w.group()).isEqualTo("launch-1");
            assertThat(w.rank()).isEqualTo(rank);
            String[] f = session.output(w).get(0).text().split(" ");
            assertThat(f).containsExactly("launch-1", "worker", Integer.toString(rank), "3", "0", master, f[6], "3");
            port = port == null ? f[6] : port;
            assertThat(f[6]).as("one MASTER_PORT for the group").isEqualTo(port);
        }
        assertThat(Integer.parseInt(port)).isBetween(1024, 65535);
    }

    @Test
    void aGroupOfTwoRolesRanksThemInOrderAndItsRendezvousIsWrittenForEveryMember() throws Exception {
        WorkerGroup g = session.launchGroup("train", List.of(
                GroupRole.of("chief", LaunchRequest.of(1, 0.1, 0.1, Program.shell("echo $COHORT_ROLE $RANK; sleep 60"))),
                GroupRole.of("worker", LaunchRequest.of(2, 0.1, 0.1, Program.shell("echo $COHORT_ROLE $RANK; sleep 60")))));
        List<Worker> other = session.launch(LaunchRequest.of(1, 0.1, 0.1, Program.shell("sleep 60")));

        Rendezvous r = g.awaitReady(Duration.ofSeconds(30));

        assertThat(r.size()).isEqualTo(3);
        assertThat(r.members()).extracting(Rendezvous.Member::role).containsExactly("chief", "worker", "worker");
        assertThat(r.members()).extracting(Rendezvous.Member::roleIndex).containsExactly(0, 0, 1);
        assertThat(r.masterAddr()).isEqualTo(g.workers().get(0).ipAddress());
        JsonNode cluster = JSON.readTree(Files.readString(r.directory().resolve("cluster.json")));
        assertThat(cluster.get("size").asInt()).isEqualTo(3);
        assertThat(cluster.get("cluster").get("worker")).hasSize(2);
        assertThat(Files.readAllLines(r.directory().resolve("hosts")))
                .containsExactlyElementsOf(g.workers().stream().map(w -> w.ipAddress() + " slots=1").toList());
        Worker second = g.workers().get(2);
        JsonNode tf = JSON.readTree(Files.readString(r.directory().resolve("tf_config").resolve(second.id() + ".json")));
        assertThat(tf.get("task").get("type").asText()).isEqualTo("worker");
        assertThat(tf.get("task").get("index").asInt()).isEqualTo(1);
        assertThat(tf.get("cluster").get("chief").get(0).asText()).isEqualTo(r.masterAddr() + ":" + r.masterPort());

        // The handle reaches its members only; the other launch keeps running.
        assertThat(g.stop()).extracting(Worker::status).containsOnly(Status.STOPPED);
        assertThat(session.get(other.get(0)).status()).isEqualTo(Status.RUNNING);
        // Plain launches are groups too, named by their launch number (train's two roles were launches 1 and 2).
        assertThat(session.group("launch-3").workers()).extracting(Worker::id).containsExactly(other.get(0).id());
        assertThatThrownBy(() -> session.launchGroup("train", List.of(GroupRole.of("w", LaunchRequest.of(1, 0.1, 0.1,
                Program.shell("true")))))).isInstanceOf(CohortException.class).hasMessageContaining("already has a group named 'train'");
    }

    @Test
    void aMemberThatEndsFirstFailsTheRendezvousWithItsNameForJavaAndForHttp() throws Exception {
        // The head is never ready (its line never comes), so the worker's end comes first.
        WorkerGroup g = session.launchGroup("broken", List.of(
                GroupRole.of("head", LaunchRequest.of(1, 0.1, 0.1, Program.shell("sleep 60")).asService(Readiness.line("never"))),
                GroupRole.of("worker", LaunchRequest.of(1, 0.1, 0.1, Program.shell("echo cannot start >&2; exit 3")))));
        String failing = g.workers().get(1).id();

        assertThatThrownBy(() -> g.awaitReady(Duration.ofSeconds(30))).isInstanceOf(CohortException.class)
                .hasMessageContaining("group 'broken' cannot be ready: its member " + failing + " (rank 1) failed")
                .hasMessageContaining("exited with code 3");
        HttpResponse<String> http = call("POST", "/v1/groups/broken/rendezvous", "{\"wait_ms\": 10000}");
        assertThat(http.statusCode()).isEqualTo(409);
        assertThat(http.body()).contains(failing);
    }

    @Test
    void theRendezvousOverHttpWaitsWithoutAThreadAndAnswersOnceReady() throws Exception {
        Path go = Files.createTempFile("cohort-go", "");
        Files.delete(go);
        assertThat(new ProcessBuilder("mkfifo", go.toString()).start().waitFor()).isZero();
        // The member counts as ready only once its readiness line is printed, which it does when told.
        HttpResponse<String> launched = call("POST", "/v1/groups", """
                {"name": "svc", "roles": [{"role": "server", "n": 1, "cpu": 0.1, "memory": 0.1, "kernel": "shell",
                  "code": "cat %s >/dev/null; echo serving now; sleep 60", "service": {"line": "serving now"}}]}""".formatted(go));
        assertThat(launched.statusCode()).as(launched.body()).isEqualTo(200);
        assertThat(JSON.readTree(launched.body()).get("workers").get(0).get("ready").asBoolean()).isFalse();

        HttpResponse<String> early = call("POST", "/v1/groups/svc/rendezvous", "{\"wait_ms\": 0}");
        assertThat(JSON.readTree(early.body()).get("ready").asBoolean()).isFalse();
        var pending = HttpClient.newHttpClient().sendAsync(request("POST", "/v1/groups/svc/rendezvous", "{\"wait_ms\": 60000}"),
                HttpResponse.BodyHandlers.ofString());
        Files.writeString(go, "go\n");
        JsonNode answer = JSON.readTree(pending.get().body());
        assertThat(answer.get("ready").asBoolean()).isTrue();
        assertThat(answer.get("members").get(0).get("role").asText()).isEqualTo("server");
        assertThat(session.group("svc").workers().get(0).ready()).isTrue();
        Files.deleteIfExists(go);
    }

    @Test
    void aServiceWorkerIsUpOnlyOnceItsPortAnswersAndAServiceThatEndsIsAFailure() throws Exception {
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.code(Kernel.PYTHON3, """
                import http.server, os
                server = http.server.HTTPServer((os.environ["CDSW_IP_ADDRESS"], 8786), http.server.SimpleHTTPRequestHandler)
                server.serve_forever()
                """)).asService(Readiness.port(8786)));
        Worker up = session.await(ws, false, Duration.ofSeconds(60)).workers().get(0);
        assertThat(up.ready()).isTrue();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(up.ipAddress(), 8786), 5000);
        }
        // Awaiting its completion returns too: a service never completes, it is reached once ready.
        assertThat(session.await(ws, true, Duration.ofSeconds(10)).workers()).hasSize(1);

        List<Worker> quitter = session.launch(LaunchRequest.of(1, 0.1, 0.1, Program.shell("echo bye")).asService(Readiness.port(9)));
        Worker ended = session.await(quitter, false, Duration.ofSeconds(30)).failures().get(0);
        assertThat(ended.status()).isEqualTo(Status.FAILED);
        assertThat(ended.reason()).isEqualTo("the service ended (exit code 0) before it was stopped; services stay up until stopped");
        assertThat(session.output(ended)).extracting(OutputLine::text).containsExactly("bye");
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest request(String method, String path, String body) {
        return HttpRequest.newBuilder(URI.create(session.controlPlaneUrl() + path))
                .header("Authorization", "Bearer " + session.controlPlaneToken())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
