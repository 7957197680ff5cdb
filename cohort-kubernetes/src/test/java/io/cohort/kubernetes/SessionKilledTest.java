package io.cohort.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.kubernetes.fixtures.KubernetesSessionMain;
import io.cohort.kubernetes.fixtures.StandInCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session JVM killed with SIGKILL leaves no process and no pod: its guard deletes the owner at once
 * (and the garbage collector, here the stand-in's, the pods); without the guard, each agent ends its
 * program and its pod once the session has not answered for the give-up time, and deleting the owner
 * by hand collects the ended pods.
 */
class SessionKilledTest {
    @TempDir
    Path home;
    StandInCluster cluster;

    @BeforeEach
    void cluster() throws Exception {
        cluster = new StandInCluster(home.resolve("cluster"));
    }

    @AfterEach
    void close() {
        cluster.close();
    }

    @Test
    void theGuardDeletesTheOwnerAndSoEveryPodWhenTheSessionIsKilled() throws Exception {
        String session = killSession("on", 60_000, 3);
        // The guard reacts to the JVM's death at once: long before any agent could give up (60 s here).
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(cluster.pods(session)).isEmpty();
            assertThat(cluster.kubelet.liveProcesses()).isEmpty();
            assertThat(trees).noneMatch(ProcessHandle::isAlive);
        });
        assertThat(cluster.client.configMaps().inNamespace(StandInCluster.NAMESPACE).list().getItems()).isEmpty();
    }

    @Test
    void withoutTheGuardEachAgentEndsItsPodWithinTheGiveUpTimeAndTheOwnerCollectsThem() throws Exception {
        long giveUp = 3_000;
        String session = killSession("off", giveUp, 3);
        long killed = System.nanoTime();
        assertThat(cluster.kubelet.liveProcesses()).hasSizeGreaterThanOrEqualTo(3);
        // The documented bound: the give-up time, plus the agent's 2 s grace for its program.
        await().atMost(Duration.ofMillis(giveUp + 2_000 + 10_000)).untilAsserted(() ->
                assertThat(trees).noneMatch(ProcessHandle::isAlive));
        long ended = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertThat(ended).as("the pods' processes ended %d ms after the kill", ended).isGreaterThanOrEqualTo(giveUp - 1_000);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster.pods(session))
                .hasSize(3).allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Failed")));
        // The ended pods are objects only; deleting the owner, as docs/kubernetes.md says, collects them.
        cluster.client.configMaps().inNamespace(StandInCluster.NAMESPACE).withLabel(PodNames.SESSION, session).delete();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cluster.pods(session)).isEmpty());
    }

    /** Starts a session JVM with running pods, kills it with SIGKILL, and returns its id. */
    private List<ProcessHandle> trees = List.of();

    private String killSession(String guard, long giveUpMillis, int n) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), KubernetesSessionMain.class.getName(), home.resolve("home").toString(),
                cluster.kubeconfig.toString(), guard, Long.toString(giveUpMillis), Integer.toString(n));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            String line;
            String session = null;
            while ((line = out.readLine()) != null) {
                seen.append(line).append('\n');
                if (line.startsWith("READY ")) {
                    session = line.substring(6).strip();
                    break;
                }
            }
            assertThat(session).as("the session JVM said:\n%s", seen).isNotNull();
            assertThat(cluster.pods(session)).hasSize(n);
            trees = cluster.kubelet.processTrees();
            // Each pod: its agent and the worker's program under it.
            assertThat(trees).hasSizeGreaterThanOrEqualTo(2 * n);
            new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).start().waitFor();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return session;
        } finally {
            p.destroyForcibly();
        }
    }
}
