package io.cohort.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.kubernetes.fixtures.KubeletStandIn;
import io.cohort.kubernetes.fixtures.StandInCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kubernetes backend against fabric8's mock API server, whose pods the kubelet stand-in really runs. */
class StandInBackendTest {
    @TempDir
    Path home;
    StandInCluster cluster;
    Session session;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();

    @BeforeEach
    void cluster() throws Exception {
        cluster = new StandInCluster(home.resolve("cluster"));
    }

    Session open(Map<String, String> more) {
        SessionOptions.Builder b = SessionOptions.builder().home(home.resolve("home")).backend("kubernetes")
                .console(new PrintStream(console, true, StandardCharsets.UTF_8)).stopGrace(Duration.ofSeconds(1));
        cluster.settings().forEach(b::setting);
        more.forEach(b::setting);
        session = Session.open(b.build());
        return session;
    }

    @AfterEach
    void close() {
        try {
            if (session != null) {
                String id = session.id();
                session.close();
                assertThat(cluster.pods(id)).as("pods left after the session closed").isEmpty();
                assertThat(cluster.client.configMaps().inNamespace(StandInCluster.NAMESPACE).list().getItems())
                        .as("the owner is deleted").isEmpty();
                await().atMost(Duration.ofSeconds(10)).until(() -> cluster.kubelet.liveProcesses().isEmpty());
            }
        } finally {
            cluster.close();
        }
    }

    @Test
    void helloWorkersRunAsPodsWithTheirOwnAddressesAndOutputInTheSession() {
        Session s = open(Map.of());
        List<Worker> ws = s.launch(LaunchRequest.builder().n(3).cpu(0.25).memoryGb(0.25)
                .program(Program.code(io.cohort.Kernel.SHELL,
                        "echo \"hello from $CDSW_ENGINE_ID at $CDSW_IP_ADDRESS on $HOSTNAME\"; echo to-stderr >&2"))
                .build());
        AwaitResult r = s.await(ws, true, Duration.ofMinutes(2));
        assertThat(r.failures()).isEmpty();
        // The agent reports the exit before its process ends; the kubelet marks the pod a moment later.
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.pods(s.id()).stream()
                .allMatch(p -> "Succeeded".equals(p.getStatus().getPhase())));
        List<Pod> pods = cluster.pods(s.id());
        assertThat(pods).hasSize(3);
        for (Worker w : r.workers()) {
            assertThat(w.status()).isEqualTo(Status.SUCCEEDED);
            assertThat(w.ipAddress()).startsWith("127.");
            String pod = PodNames.pod(s.id(), w.id());
            assertThat(s.output(w)).extracting(OutputLine::text).containsExactlyInAnyOrder(
                    "hello from " + w.id() + " at " + w.ipAddress() + " on " + pod, "to-stderr");
            assertThat(w.notes()).anySatisfy(n -> assertThat(n).contains("Kubernetes pod " + pod, "cpu 250m", "memory 256 MiB"));
            Pod p = pods.stream().filter(x -> x.getMetadata().getName().equals(pod)).findFirst().orElseThrow();
            assertThat(p.getStatus().getPhase()).isEqualTo("Succeeded");
            assertThat(p.getStatus().getPodIP()).isEqualTo(w.ipAddress());
            assertThat(p.getMetadata().getLabels()).containsEntry(PodNames.SESSION, s.id()).containsEntry(PodNames.WORKER, w.id())
                    .containsKey(PodNames.LAUNCH);
            assertThat(p.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
                assertThat(o.getKind()).isEqualTo("ConfigMap");
                assertThat(o.getName()).isEqualTo(PodNames.owner(s.id()));
            });
            assertThat(p.getSpec().getRestartPolicy()).isEqualTo("Never");
            Container c = p.getSpec().getContainers().get(0);
            assertThat(c.getResources().getRequests().get("memory")).isEqualTo(c.getResources().getLimits().get("memory"));
            assertThat(c.getResources().getLimits()).doesNotContainKey("cpu");
            // The agent gets what it needs to reach the session, and nothing of the worker's own environment.
            assertThat(c.getEnv()).extracting(e -> e.getName()).contains("COHORT_API", "COHORT_TOKEN", "COHORT_WORKER_ID",
                    "COHORT_AGENT_GIVE_UP_MS", "CDSW_IP_ADDRESS").doesNotContain("PATH", "HOME");
        }
    }

    @Test
    void aFailingWorkerFailsWithItsExitCodeAndStopEndsARunningPod() {
        Session s = open(Map.of());
        Worker bad = s.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25)
                .program(Program.shell("echo about to fail; exit 3")).build()).get(0);
        Worker sleeper = s.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25)
                .program(Program.shell("echo sleeping; exec sleep 600")).build()).get(0);
        s.await(List.of(bad), true, Duration.ofMinutes(2));
        assertThat(s.get(bad).status()).isEqualTo(Status.FAILED);
        assertThat(s.get(bad).exitCode()).isEqualTo(3);
        await().atMost(Duration.ofMinutes(1)).until(() -> s.output(sleeper).stream().anyMatch(l -> l.text().equals("sleeping")));
        s.stop(List.of(sleeper));
        s.await(List.of(sleeper), true, Duration.ofMinutes(1));
        assertThat(s.get(sleeper).status()).isEqualTo(Status.STOPPED);
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.kubelet.liveProcesses().isEmpty());
    }

    @Test
    void aPodDeletedOutsideTheSessionFailsItsWorkerWithWords() {
        Session s = open(Map.of());
        Worker w = s.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25)
                .program(Program.shell("echo up; exec sleep 600")).build()).get(0);
        await().atMost(Duration.ofMinutes(1)).until(() -> s.output(w).stream().anyMatch(l -> l.text().equals("up")));
        cluster.client.pods().inNamespace(StandInCluster.NAMESPACE).withName(PodNames.pod(s.id(), w.id())).delete();
        s.await(List.of(w), true, Duration.ofMinutes(1));
        // The kubelet ended the agent with SIGTERM: the agent leaves the end to the engine, and the watch tells it.
        assertThat(s.get(w).status()).isEqualTo(Status.FAILED);
        assertThat(s.get(w).reason()).contains("pod " + PodNames.pod(s.id(), w.id()) + " was deleted outside the session");
    }

    @Test
    void anUnschedulablePodWaitsWithTheSchedulersReasonAndABadImageFailsWithWords() {
        Session s = open(Map.of("kubernetes.nodeSelector", KubeletStandIn.UNSCHEDULABLE + "=yes"));
        Worker w = s.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25).program(Program.shell("true")).build()).get(0);
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(s.get(w).reason())
                .contains("pending in Kubernetes: Unschedulable", "didn't match Pod's node affinity/selector"));
        assertThat(s.get(w).status()).isNotIn(Status.RUNNING, Status.FAILED, Status.SUCCEEDED);
        s.close();
        session = null;

        Session t = open(Map.of("kubernetes.image", KubeletStandIn.BAD_IMAGE + "nothing:1"));
        Worker b = t.launch(LaunchRequest.builder().n(1).cpu(0.25).memoryGb(0.25).program(Program.shell("true")).build()).get(0);
        t.await(List.of(b), true, Duration.ofMinutes(1));
        assertThat(t.get(b).status()).isEqualTo(Status.FAILED);
        assertThat(t.get(b).reason()).contains("cannot pull its image " + KubeletStandIn.BAD_IMAGE + "nothing:1", "ErrImagePull",
                "kubernetes.image");
        // It would wait for ever: the session deleted it.
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.pods(t.id()).isEmpty());
    }

    @Test
    void gpusOnAClusterWithoutThemAreRefusedBeforeAnyPodIsMade() {
        Session s = open(Map.of());
        assertThatThrownBy(() -> s.launch(LaunchRequest.builder().n(2).cpu(0.25).memoryGb(0.25).gpus(1)
                .program(Program.shell("true")).build()))
                .isInstanceOf(CohortException.class).hasMessageContaining("no node", "nvidia.com/gpu", "ask for fewer GPUs");
        assertThat(cluster.pods(s.id())).isEmpty();
    }

    @Test
    void aLaunchIsCreatedInBatchesWithAtMostMaxPendingPodsNotYetRunning() {
        Session s = open(Map.of("kubernetes.batchSize", "2", "kubernetes.maxPending", "3"));
        cluster.kubelet.hold();
        List<Worker> ws = s.launch(LaunchRequest.builder().n(8).cpu(0.1).memoryGb(0.1).program(Program.shell("echo done")).build());
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.pods(s.id()).size() == 3);
        // While none of them runs, no fourth pod is made: the allocator waits for room, whatever its batch size.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> cluster.pods(s.id()).size() == 3);
        assertThat(s.list()).filteredOn(w -> w.reason() != null && w.reason().startsWith("queued for Kubernetes")).hasSize(5);
        cluster.kubelet.release();
        AwaitResult r = s.await(ws, true, Duration.ofMinutes(3));
        assertThat(r.failures()).isEmpty();
        assertThat(cluster.pods(s.id())).hasSize(8);
        assertThat(cluster.kubelet.started.get()).isEqualTo(8);
    }

    @Test
    void refusalsComeBeforeAnyPodIsMadeAndSayWhatToChange() throws Exception {
        String[][] cases = {
                {"refused-rbac", "status-forbidden.json", "grant them the Role in docs/kubernetes.md"},
                {"refused-quota", "status-quota.json", "ResourceQuota has no room"},
                {"refused-invalid", "status-invalid.json", "the pod cohort made is not valid here"},
                {"nowhere", "status-namespace.json", "namespace nowhere does not exist"}};
        for (String[] c : cases) {
            String body;
            try (var in = getClass().getResourceAsStream("/recorded/" + c[1])) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            int code = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(body, io.fabric8.kubernetes.api.model.Status.class).getCode();
            cluster.server.expect().post().withPath("/api/v1/namespaces/" + c[0] + "/pods?dryRun=All").andReturn(code, body).always();
            Session s = open(Map.of("kubernetes.namespace", c[0]));
            assertThatThrownBy(() -> s.launch(LaunchRequest.builder().n(3).cpu(0.25).memoryGb(0.25).program(Program.shell("true")).build()))
                    .as(c[0]).isInstanceOf(CohortException.class).hasMessageContaining(c[2]).hasMessageContaining("nothing was created");
            assertThat(s.list()).isEmpty();
            assertThat(cluster.client.pods().inNamespace(c[0]).list().getItems()).isEmpty();
            assertThat(cluster.client.configMaps().inNamespace(c[0]).list().getItems()).isEmpty();
            s.close();
            session = null;
        }
    }

    @Test
    void aPodWhoseAgentNeverCallsIsDeletedAndItsWorkerFailsSayingSo() {
        // The "agent" runs but never calls the session, as an image without cohort's agent would.
        Session s = open(Map.of("kubernetes.agentCommand", "sleep 600", "kubernetes.startTimeoutSeconds", "1"));
        Worker w = s.launch(LaunchRequest.builder().n(1).cpu(0.1).memoryGb(0.1).program(Program.shell("true")).build()).get(0);
        s.await(List.of(w), true, Duration.ofMinutes(1));
        assertThat(s.get(w).status()).isEqualTo(Status.FAILED);
        assertThat(s.get(w).reason()).contains("pod " + PodNames.pod(s.id(), w.id()) + "'s agent did not call the session within 1 s",
                "kubernetes.masterIp", "kubernetes.agentCommand");
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.pods(s.id()).isEmpty() && cluster.kubelet.liveProcesses().isEmpty());
    }

    @Test
    void withoutAWatchTheReListStillTellsEveryWorkersEnd() throws Exception {
        String id = "nowatch" + Long.toString(System.nanoTime() % 100000);
        // Every watch of the session's pods fails: only the periodic re-list can see the pod go.
        cluster.server.expect().get().withPath("/api/v1/namespaces/" + StandInCluster.NAMESPACE
                + "/pods?allowWatchBookmarks=true&labelSelector=cohort.io%2Fsession%3D" + id + "&watch=true")
                .andReturn(500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"no watch for you\"}").always();
        Session s = open(Map.of("sessionId", id));
        Worker w = s.launch(LaunchRequest.builder().n(1).cpu(0.1).memoryGb(0.1).program(Program.shell("echo up; exec sleep 600")).build()).get(0);
        await().atMost(Duration.ofMinutes(1)).until(() -> s.output(w).stream().anyMatch(l -> l.text().equals("up")));
        cluster.client.pods().inNamespace(StandInCluster.NAMESPACE).withName(PodNames.pod(id, w.id())).delete();
        s.await(List.of(w), true, Duration.ofMinutes(1));
        assertThat(s.get(w).status()).isEqualTo(Status.FAILED);
        assertThat(s.get(w).reason()).contains("was deleted outside the session");
        // The watch was refused each time it was tried (one try per re-list), so the re-list did it.
        int watches = 0;
        io.fabric8.mockwebserver.http.RecordedRequest r;
        while ((r = cluster.server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
            if (r.getPath().contains("labelSelector=cohort.io%2Fsession%3D" + id) && r.getPath().contains("watch=true")) {
                watches++;
            }
        }
        assertThat(watches).as("watch requests of the session").isGreaterThanOrEqualTo(2);
    }

    @Test
    void aPodTheQuotaRefusesAtCreateFailsItsWorkerWithTheQuotasWords() throws Exception {
        String body;
        try (var in = getClass().getResourceAsStream("/recorded/status-quota.json")) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // The dry run passes (one pod fits); the first real create meets the quota, the rest do not.
        cluster.server.expect().post().withPath("/api/v1/namespaces/" + StandInCluster.NAMESPACE + "/pods").andReturn(403, body).once();
        Session s = open(Map.of("kubernetes.batchSize", "1"));
        List<Worker> ws = s.launch(LaunchRequest.builder().n(2).cpu(0.1).memoryGb(0.1).program(Program.shell("echo ok")).build());
        s.await(ws, true, Duration.ofMinutes(1));
        assertThat(s.get(ws.get(0)).status()).isEqualTo(Status.FAILED);
        assertThat(s.get(ws.get(0)).reason()).contains("exceeded quota: compute", "ResourceQuota has no room");
        assertThat(s.get(ws.get(1)).status()).isEqualTo(Status.SUCCEEDED);
    }
}
