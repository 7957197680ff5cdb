package io.cohort.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.AwaitResult;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend against a real cluster: runs only with {@code KUBECONFIG} set (CI here has no cluster,
 * and skips it). The image, the session's address as pods reach it, the namespace and the shared
 * files come from {@code COHORT_KUBERNETES_*} (docs/kubernetes.md), e.g. {@code COHORT_KUBERNETES_IMAGE},
 * {@code COHORT_KUBERNETES_MASTERIP}, {@code COHORT_KUBERNETES_PODTEMPLATE} with a volume that shows
 * this checkout and {@code ~/.cohort} at the same paths, and {@code COHORT_KUBERNETES_AGENTCLASSPATH}.
 */
@EnabledIfEnvironmentVariable(named = "KUBECONFIG", matches = ".+")
class RealClusterTest {
    @TempDir
    Path home;
    Session session;

    Session open() {
        session = Session.open(SessionOptions.builder().home(home).backend("kubernetes")
                .setting("kubernetes.kubeconfig", System.getenv("KUBECONFIG").split(File.pathSeparator)[0])
                .stopGrace(Duration.ofSeconds(2)).build());
        return session;
    }

    @AfterEach
    void close() {
        if (session != null) {
            String id = session.id();
            session.close();
            try (KubernetesClient c = new KubernetesClientBuilder().withConfig(Config.autoConfigure(null)).build()) {
                String ns = System.getenv().getOrDefault("COHORT_KUBERNETES_NAMESPACE", c.getNamespace());
                assertThat(c.pods().inNamespace(ns).withLabel(PodNames.SESSION, PodNames.labelValue(id)).list().getItems())
                        .as("pods left after the session closed").isEmpty();
            }
        }
    }

    @Test
    void helloWorkersAsPods() {
        Session s = open();
        List<Worker> ws = s.launch(LaunchRequest.builder().n(3).cpu(0.1).memoryGb(0.25)
                .program(Program.shell("echo \"hello from $CDSW_ENGINE_ID at $CDSW_IP_ADDRESS\"")).build());
        AwaitResult r = s.await(ws, true, Duration.ofMinutes(10));
        assertThat(r.failures()).isEmpty();
        for (Worker w : r.workers()) {
            assertThat(s.output(w)).extracting(OutputLine::text).containsExactly("hello from " + w.id() + " at " + w.ipAddress());
            assertThat(w.notes()).anySatisfy(n -> assertThat(n).startsWith("Kubernetes pod "));
        }
        assertThat(r.workers().stream().map(Worker::ipAddress).distinct()).hasSize(3);
    }

    @Test
    void exitCodesAndStop() {
        Session s = open();
        Worker bad = s.launch(LaunchRequest.builder().n(1).cpu(0.1).memoryGb(0.25).program(Program.shell("exit 3")).build()).get(0);
        Worker sleeper = s.launch(LaunchRequest.builder().n(1).cpu(0.1).memoryGb(0.25)
                .program(Program.shell("echo up; exec sleep 600")).build()).get(0);
        s.await(List.of(bad), true, Duration.ofMinutes(10));
        assertThat(s.get(bad).status()).isEqualTo(Status.FAILED);
        assertThat(s.get(bad).exitCode()).isEqualTo(3);
        await().atMost(Duration.ofMinutes(10)).until(() -> s.output(sleeper).stream().anyMatch(l -> l.text().equals("up")));
        s.stop(List.of(sleeper));
        s.await(List.of(sleeper), true, Duration.ofMinutes(1));
        assertThat(s.get(sleeper).status()).isEqualTo(Status.STOPPED);
    }
}
