package io.cohort.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.OutputLine;
import io.cohort.SessionOptions;
import io.cohort.core.backend.AgentLink;
import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.BackendProvider;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.kubernetes.fixtures.StandInCluster;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend at its seams: found by ServiceLoader, on other hosts, and what it hands the agent and the pod. */
class BackendSeamTest {
    @TempDir
    Path dir;

    @Test
    void theProviderIsFoundByName() {
        assertThat(ServiceLoader.load(BackendProvider.class).stream().map(p -> p.get().name())).contains("kubernetes");
    }

    @Test
    void everyCohortVariableGoesToThePodAndTheWorkersOwnEnvironmentOnlyToTheAgent() throws Exception {
        try (StandInCluster cluster = new StandInCluster(dir.resolve("cluster"))) {
            cluster.kubelet.hold();
            SessionOptions.Builder b = SessionOptions.builder();
            cluster.settings().forEach(b::setting);
            AtomicReference<WorkerSpec> served = new AtomicReference<>();
            Backend backend = new KubernetesBackend(new BackendContext("seam1", dir.resolve("session"), b.build(),
                    (spec, sink, notes) -> {
                        served.set(spec);
                        return new AgentLink() {
                            @Override
                            public void requestStop(Duration grace) {
                            }

                            @Override
                            public boolean started() {
                                return false;
                            }

                            @Override
                            public boolean ended() {
                                return false;
                            }

                            @Override
                            public Instant lastContact() {
                                return null;
                            }

                            @Override
                            public void endedWithoutAgent(int exitCode, String reason) {
                            }
                        };
                    }));
            try {
                assertThat(backend.workersOnOtherHosts()).isTrue();
                assertThat(backend.name()).isEqualTo("kubernetes");
                Map<String, String> env = Map.of("COHORT_API", "http://127.0.0.1:1/api", "COHORT_TOKEN", "tok",
                        "COHORT_TLS_FINGERPRINT", "sha256:00ff", "COHORT_SOMETHING_NEW", "x", "PATH", "/session/bin",
                        "CDSW_IP_ADDRESS", "10.9.9.9", "CUDA_VISIBLE_DEVICES", "0", "KUBERNETES_SERVICE_HOST", "10.0.0.1",
                        "MY_VAR", "mine");
                backend.start(new WorkerSpec("seam1", "w1", List.of("sh", "-c", "true"), env, dir, 0.5, 1L << 28, 0), new NullSink());
                await().atMost(Duration.ofSeconds(20)).until(() -> cluster.pods("seam1").size() == 1);
                Pod p = cluster.pods("seam1").get(0);
                Map<String, String> podEnv = p.getSpec().getContainers().get(0).getEnv().stream()
                        .filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
                assertThat(podEnv).containsEntry("COHORT_API", "http://127.0.0.1:1/api").containsEntry("COHORT_TOKEN", "tok")
                        .containsEntry("COHORT_TLS_FINGERPRINT", "sha256:00ff").containsEntry("COHORT_SOMETHING_NEW", "x")
                        .containsEntry("COHORT_WORKER_ID", "w1").containsEntry("COHORT_AGENT_GIVE_UP_MS", "3000")
                        .doesNotContainKeys("PATH", "MY_VAR", "CUDA_VISIBLE_DEVICES", "KUBERNETES_SERVICE_HOST");
                // The agent is served the worker's environment, less what belongs to the pod.
                assertThat(served.get().env()).containsEntry("MY_VAR", "mine").containsEntry("PATH", "/session/bin")
                        .containsEntry("CUDA_VISIBLE_DEVICES", "").doesNotContainKeys("CDSW_IP_ADDRESS", "KUBERNETES_SERVICE_HOST");
            } finally {
                backend.close(Duration.ofSeconds(1));
            }
            assertThat(cluster.pods("seam1")).isEmpty();
        }
    }

    private static final class NullSink implements WorkerSink {
        @Override
        public void placed(String ipAddress, List<Integer> gpus, List<String> notes) {
        }

        @Override
        public void running(long pid) {
        }

        @Override
        public void output(OutputLine.Stream stream, java.util.List<String> lines) {
        }

        @Override
        public void exited(int exitCode, String reason) {
        }

        @Override
        public void failedToStart(String reason) {
        }
    }
}
