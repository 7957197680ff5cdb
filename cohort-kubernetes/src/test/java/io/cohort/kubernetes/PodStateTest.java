package io.cohort.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * Scheduler states and API refusals, read from API answers in test resources/recorded (shaped and
 * worded as the API server and kubelet write them).
 */
class PodStateTest {
    static <T> T recorded(String name, Class<T> type) {
        try (InputStream in = PodStateTest.class.getResourceAsStream("/recorded/" + name)) {
            return Serialization.unmarshal(in, type);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anUnschedulablePodWaitsWithTheSchedulersWords() {
        PodState s = PodState.of(recorded("pod-unschedulable.json", Pod.class));
        assertThat(s.kind()).isEqualTo(PodState.Kind.WAITING);
        assertThat(s.scheduled()).isFalse();
        assertThat(s.words()).isEqualTo("pending in Kubernetes: Unschedulable: 0/3 nodes are available: 3 Insufficient memory."
                + " preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    }

    @Test
    void anImagePullErrorEndsTheWorkerAndNamesTheImageAndTheSettings() {
        PodState s = PodState.of(recorded("pod-errimagepull.json", Pod.class));
        assertThat(s.kind()).isEqualTo(PodState.Kind.ENDED);
        assertThat(s.exitCode()).isEqualTo(-1);
        assertThat(s.words()).contains("cannot pull its image ghcr.io/acme/cohort:nope", "ImagePullBackOff",
                "kubernetes.image", "kubernetes.imagePullSecrets");
    }

    @Test
    void aContainerBeingCreatedIsWaitingNotAFailure() {
        PodState s = PodState.of(recorded("pod-creating.json", Pod.class));
        assertThat(s.kind()).isEqualTo(PodState.Kind.WAITING);
        assertThat(s.scheduled()).isTrue();
        assertThat(s.words()).isEqualTo("pod cohort-abc-w7 on node node-1: ContainerCreating");
    }

    @Test
    void oomKilledSaysOutOfMemoryWithTheExitCode() {
        PodState s = PodState.of(recorded("pod-oomkilled.json", Pod.class));
        assertThat(s.kind()).isEqualTo(PodState.Kind.ENDED);
        assertThat(s.exitCode()).isEqualTo(137);
        assertThat(s.words()).startsWith("out of memory: pod cohort-abc-w3's container was OOMKilled").contains("memoryGb");
    }

    @Test
    void evictionNodeLossAndTheDeadlineAreFailuresWithWords() {
        PodState evicted = PodState.of(recorded("pod-evicted.json", Pod.class));
        assertThat(evicted.kind()).isEqualTo(PodState.Kind.ENDED);
        assertThat(evicted.words()).startsWith("pod cohort-abc-w4 was evicted from node node-3")
                .contains("The node was low on resource: ephemeral-storage");
        PodState lost = PodState.of(recorded("pod-nodelost.json", Pod.class));
        assertThat(lost.kind()).isEqualTo(PodState.Kind.ENDED);
        assertThat(lost.words()).contains("node node-4 stopped reporting (node lost)", "NodeLost", "is unresponsive");
        PodState deadline = PodState.of(recorded("pod-deadline.json", Pod.class));
        assertThat(deadline.words()).contains("activeDeadlineSeconds", "kubernetes.activeDeadlineSeconds");
    }

    static KubernetesClientException refusal(String file) {
        Status s = recorded(file, Status.class);
        return new KubernetesClientException(s);
    }

    @Test
    void refusalsSayWhatToChange() {
        assertThat(Refusals.explain(refusal("status-forbidden.json"), "ml", "a pod"))
                .contains("403 Forbidden", "cannot create resource \"pods\"", "grant them the Role in docs/kubernetes.md");
        assertThat(Refusals.explain(refusal("status-quota.json"), "ml", "a pod"))
                .contains("exceeded quota: compute", "ResourceQuota has no room", "kubectl describe resourcequota -n ml")
                .doesNotContain("Role");
        assertThat(Refusals.explain(refusal("status-invalid.json"), "ml", "a pod"))
                .contains("422 Invalid", "spec.tolerations[0].operator: Invalid value", "kubernetes.tolerations");
        assertThat(Refusals.explain(refusal("status-namespace.json"), "nowhere", "a pod"))
                .contains("namespace nowhere does not exist", "kubectl create namespace nowhere");
    }

    @Test
    void anAPIServerThatCannotBeReachedIsSaidSo() {
        KubernetesClientException e = new KubernetesClientException("An error has occurred.",
                new java.net.UnknownHostException("kubernetes.default.svc: Name or service not known"));
        assertThat(Refusals.explain(e, "default", "a pod")).startsWith("cannot reach the Kubernetes API server for a pod")
                .contains("UnknownHostException: kubernetes.default.svc", "kubernetes.kubeconfig");
    }
}
