package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.AwaitResult;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 7, on real workers: with workerSecurity=on (what auto means for workers on other
 * hosts) each worker reaches the session over TLS, trusts only the pinned certificate, and holds a
 * credential of its own: it may use queues and results and list its peers, but not stop them. Local
 * workers in auto keep the session's token and plain HTTP, as before.
 */
class WorkerSecurityTest {
    @TempDir
    Path home;

    private Session open(String mode) {
        return Session.open(Fixtures.options(home, new Fixtures.Console()).setting("workerSecurity", mode).build());
    }

    private static List<String> run(Session session, Program program) {
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.2, 0.25, program));
        AwaitResult r = session.await(ws, true, Duration.ofSeconds(120));
        assertThat(r.failures()).as("failures; output: %s", session.output(ws.get(0))).isEmpty();
        return session.output(ws.get(0)).stream().map(OutputLine::text).toList();
    }

    @Test
    void aWorkerReachesTheSessionOverTlsWithItsOwnCredentialAndCannotStopItsPeers() throws Exception {
        try (Session session = open("on")) {
            List<Worker> peer = session.launch(LaunchRequest.of(1, 0.2, 0.25, Program.shell("sleep 60")));
            List<String> out = run(session, Program.code(Kernel.PYTHON3, String.join("\n",
                    "import os, cohort_client, cohort_workers",
                    "print('api', os.environ['COHORT_API'].split(':')[0])",
                    "print('pinned', os.environ['COHORT_TLS_PIN'].startswith('sha256:'))",
                    "print('own credential', os.environ['COHORT_TOKEN'].startswith('cw1.' + os.environ['CDSW_ENGINE_ID'] + '.'))",
                    "cohort_client.results.put('from-' + os.environ['CDSW_ENGINE_ID'], {'ok': True})",
                    "cohort_client.put('work', [1, 2])",
                    "print('peers', sorted(w['id'] for w in cohort_workers.list_workers()))",
                    "try:",
                    "    cohort_workers.stop_workers('" + peer.get(0).id() + "')",
                    "    print('stopped a peer')",
                    "except Exception as e:",
                    "    print('refused', 'session\\'s token' in str(e))")));
            assertThat(out).containsExactly("api https", "pinned True", "own credential True", "peers ['w1', 'w2']",
                    "refused True");
            assertThat(session.results().get("from-w2")).isPresent();
            assertThat(session.queue("work").progress().added()).isEqualTo(1);
            assertThat(session.get(peer.get(0).id()).status().isFinal()).isFalse();
            // The session's own token does everything, over its plain loopback connector.
            assertThat(session.controlPlaneUrl()).startsWith("http://127.0.0.1:");
            session.stop(peer);
        }
    }

    @Test
    void membersOfOneGroupRunCommandsInEachOtherWithTheSecretOnlyTheyShare() {
        try (Session session = open("on")) {
            List<Worker> ws = session.launch(LaunchRequest.of(2, 0.2, 0.25, Program.shell(String.join("\n",
                    "[ -n \"$COHORT_GROUP_SECRET\" ] || exit 3",
                    "if [ \"$RANK\" = 0 ]; then exec python3 -m cohort_workers exec-server --once; fi",
                    "eval \"$(python3 -m cohort_workers rendezvous --env)\" || exit 1",
                    "python3 -m cohort_workers rsh \"$MASTER_ADDR\" 'echo ran in $CDSW_ENGINE_ID'"))));
            AwaitResult r = session.await(ws, true, Duration.ofSeconds(120));
            assertThat(r.failures()).as("output: %s %s", session.output(ws.get(0)), session.output(ws.get(1))).isEmpty();
            assertThat(session.output(ws.get(1))).extracting(OutputLine::text).containsExactly("ran in " + ws.get(0).id());
        }
    }

    @Test
    void localWorkersInAutoKeepTheSessionsTokenAndPlainHttp() throws Exception {
        try (Session session = open("auto")) {
            List<String> out = run(session, Program.shell(
                    "echo \"$COHORT_API\"; [ \"$COHORT_TOKEN\" = \"" + session.controlPlaneToken() + "\" ] && echo token;"
                            + " echo \"pin=${COHORT_TLS_PIN:-none}\""));
            assertThat(out).containsExactly(session.controlPlaneUrl(), "token", "pin=none");
        }
    }

    @Test
    void aBadSettingIsRefusedNamingWhatItAccepts() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> open("maybe"))
                .hasMessageContaining("workerSecurity").hasMessageContaining("auto");
        assertThat(Files.exists(home)).isTrue();
    }
}
