package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.AwaitResult;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import io.cohort.worker.WorkerVariables;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What a worker sees of the network: the session's address, its own, and the reference's variables. */
@ExtendWith(LocalSessions.class)
class NetworkTest {
    Fixtures.Console console = new Fixtures.Console();
    Session session;

    @Test
    void workersGetTheReferencesVariablesTheirOwnAddressAndTheUsersEnv() {
        List<Worker> ws = session.launch(LaunchRequest.builder().n(2).cpu(0.2).memoryGb(0.2)
                .program(Program.shell("env")).env("LEARNING_RATE", "0.1").build());
        session.await(ws, true, Duration.ofSeconds(30));

        for (Worker w : session.list()) {
            Map<String, String> env = session.output(w).stream().map(OutputLine::text).filter(l -> l.contains("="))
                    .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1), (a, b) -> b));
            assertThat(env).containsEntry("CML_MASTER_IP", session.masterAddress())
                    .containsEntry("CDSW_MASTER_IP", session.masterAddress())
                    .containsEntry("CDSW_MASTER_ID", session.id())
                    .containsEntry("CDSW_ENGINE_ID", w.id())
                    .containsEntry("CDSW_ENGINE_TYPE", "worker")
                    .containsEntry("CDSW_IP_ADDRESS", w.ipAddress())
                    .containsEntry("CDSW_APP_PORT", "8080")
                    .containsEntry("LEARNING_RATE", "0.1");
            assertThat(w.appUrl()).isEqualTo("http://" + w.ipAddress() + ":8080/");
        }
        assertThat(session.list()).extracting(Worker::ipAddress).doesNotHaveDuplicates()
                .allMatch(ip -> ip.startsWith("127.") && !ip.equals("127.0.0.1"));
    }

    @Test
    void everyWorkerVariableAWorkerSeesIsNamedInWorkerVariablesAndEveryNameIsSet() throws IllegalAccessException {
        List<Worker> ws = session.launch(LaunchRequest.builder().n(1).cpu(0.2).memoryGb(0.2).program(Program.shell("env")).build());
        session.await(ws, true, Duration.ofSeconds(30));

        Set<String> seen = session.output(ws.get(0)).stream().map(OutputLine::text).filter(l -> l.contains("="))
                .map(l -> l.substring(0, l.indexOf('=')))
                .filter(n -> WorkerVariables.isWorkerVariable(n) || WorkerVariables.IDENTITY.contains(n)).collect(Collectors.toSet());
        Set<String> named = new TreeSet<>();
        for (Field f : WorkerVariables.class.getFields()) {
            if (f.getType() == String.class) {
                named.add((String) f.get(null));
            }
        }
        assertThat(named).containsAll(seen);
        // Not set by the session: the user's heartbeat override, the remote agent's give-up time, GPUs on a machine
        // without them, and what workers get only with worker security on (WorkerSecurityTest).
        Set<String> always = new TreeSet<>(named);
        always.removeAll(Set.of(WorkerVariables.COHORT_HEARTBEAT_MS, WorkerVariables.COHORT_AGENT_GIVE_UP_MS,
                WorkerVariables.COHORT_TLS_PIN, WorkerVariables.COHORT_GROUP_SECRET));
        always.removeAll(WorkerVariables.GPU_VARIABLES);
        assertThat(seen).containsAll(always);
    }

    @Test
    void blankProxyVariablesAreNotPassedOn() {
        // The session's own environment cannot be changed from Java, so check the rule directly.
        Map<String, String> env = io.cohort.core.WorkerEnvironment.build(
                Map.of("http_proxy", "", "HTTPS_PROXY", " ", "no_proxy", "localhost", "CDSW_ENGINE_ID", "parent", "PATH", "/bin"),
                "s1", "/tmp/s1", "127.0.0.1", "w1", 0, 1, 1, Map.of());

        assertThat(env).doesNotContainKeys("http_proxy", "HTTPS_PROXY")
                .containsEntry("no_proxy", "localhost")
                .containsEntry("CDSW_ENGINE_ID", "w1")
                .containsEntry("PATH", "/bin");
    }

    @Test
    void workersInEveryLanguageListTheSessionsWorkersWithTheirAddresses() {
        // Each prints "peer ID STATUS IP APP_URL" for every worker it sees; launches come one after the other.
        session.launch(LaunchRequest.of(1, 0.2, 0.5, Program.code("""
                for (var p : io.cohort.worker.Cohort.workers()) {
                    System.out.println("peer " + p.id() + " " + p.status() + " " + p.ipAddress() + " " + p.appUrl());
                }""")));
        session.launch(LaunchRequest.of(1, 0.2, 0.3, Program.code(Kernel.PYTHON3, """
                import cohort_client as cohort
                for p in cohort.workers():
                    print("peer", p["id"], p["status"], p["ip_address"], p["app_url"])
                """)));
        session.launch(LaunchRequest.of(1, 0.2, 0.3, Program.code(Kernel.R, """
                source(Sys.getenv("COHORT_R_CLIENT"))
                for (p in cohort_workers()) cat("peer", p$id, p$status, p$ip_address, p$app_url, "\n")
                """)));
        session.launch(LaunchRequest.of(1, 0.2, 0.2, Program.shell(
                "curl -sf -H \"Authorization: Bearer $COHORT_TOKEN\" \"$COHORT_API/v1/workers\" | tr '{' '\\n'"
                        + " | sed -n 's/.*\"id\":\"\\([^\"]*\\)\",\"status\":\"\\([^\"]*\\)\".*\"ip_address\":\"\\([^\"]*\\)\""
                        + ",\"app_url\":\"\\([^\"]*\\)\".*/peer \\1 \\2 \\3 \\4/p'")));

        AwaitResult r = session.await(List.of(), true, Duration.ofSeconds(60));
        assertThat(r.failures()).isEmpty();
        List<Worker> all = session.list();
        for (int i = 0; i < all.size(); i++) {
            Worker me = all.get(i);
            List<String> lines = session.output(me).stream().map(l -> l.text().trim()).toList();
            assertThat(lines).as("what %s (%s) listed", me.id(), me.kernel())
                    .contains("peer " + me.id() + " running " + me.ipAddress() + " " + me.appUrl());
            for (Worker earlier : all.subList(0, i)) {
                assertThat(lines).as("what %s (%s) listed", me.id(), me.kernel())
                        .anyMatch(l -> l.startsWith("peer " + earlier.id() + " ") && l.contains(" " + earlier.ipAddress() + " "));
            }
        }
    }

    @Test
    void twoWorkersListenOnTheSamePortEachOnItsOwnAddress() throws Exception {
        String server = """
                import os, socket
                s = socket.socket()
                s.bind((os.environ['CDSW_IP_ADDRESS'], int(os.environ['CDSW_APP_PORT'])))
                s.listen(1)
                print('listening', flush=True)
                c, _ = s.accept()
                c.sendall(('I am ' + os.environ['CDSW_ENGINE_ID'] + '\\n').encode())
                c.close()
                """;
        List<Worker> ws = session.launch(LaunchRequest.of(2, 0.2, 0.2, Program.code(Kernel.PYTHON3, server)));
        await().atMost(Duration.ofSeconds(30)).until(() ->
                ws.stream().allMatch(w -> session.output(w).stream().anyMatch(l -> l.text().equals("listening"))));

        for (Worker w : ws) {
            try (Socket s = new Socket(w.ipAddress(), 8080);
                 BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(in.readLine()).isEqualTo("I am " + w.id());
            }
        }
        AwaitResult r = session.await(ws, true, Duration.ofSeconds(30));
        assertThat(r.failures()).isEmpty();
    }
}
