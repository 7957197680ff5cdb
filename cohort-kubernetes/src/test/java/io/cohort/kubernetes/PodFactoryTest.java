package io.cohort.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.cohort.CohortException;
import io.cohort.SessionOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pods cohort makes: its fields over the user's template, names, settings, and the Kubernetes schema. */
class PodFactoryTest {
    @TempDir
    Path dir;

    static KubernetesSettings settings(Map<String, String> s) {
        SessionOptions.Builder b = SessionOptions.builder();
        s.forEach(b::setting);
        return KubernetesSettings.from(b.build(), Map.of());
    }

    Pod pod(Map<String, String> s, int gpus) {
        PodFactory f = new PodFactory(settings(s), "ml");
        return f.pod(PodNames.pod("k3x9p2aa", "w12"), Map.of(PodNames.SESSION, "k3x9p2aa", PodNames.LAUNCH, "launch-1",
                        PodNames.WORKER, "w12"),
                new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap").withName("cohort-k3x9p2aa")
                        .withUid("0b3c7d9e-1111-2222-3333-444455556666").withController(true).build(),
                Map.of("COHORT_API", "http://10.0.0.5:4567/api", "COHORT_TOKEN", "t0k", "COHORT_WORKER_ID", "w12",
                        "COHORT_TLS_FINGERPRINT", "sha256:ab"), 1.5, 3L << 30, gpus);
    }

    @Test
    void cohortsFieldsLieOverTheTemplateAndTheRestOfTheTemplateStays() throws IOException {
        Path template = dir.resolve("template.yaml");
        Files.writeString(template, """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: ignored
                  labels: {team: vision, cohort.io/worker: spoofed}
                  annotations: {sidecar.istio.io/inject: "false"}
                spec:
                  restartPolicy: Always
                  nodeSelector: {disk: ssd}
                  tolerations: [{key: spot, operator: Exists}]
                  volumes: [{name: project, persistentVolumeClaim: {claimName: project}}]
                  containers:
                  - name: cohort-worker
                    image: ghcr.io/acme/cohort:1
                    command: [sh, -c, "ignored"]
                    env: [{name: TEAM, value: vision}, {name: COHORT_API, value: spoofed}]
                    resources: {limits: {cpu: "8", ephemeral-storage: 2Gi}, requests: {memory: 1Gi}}
                    volumeMounts: [{name: project, mountPath: /home/cdsw}]
                  - name: log-shipper
                    image: fluent/fluent-bit:3
                """);
        Pod p = pod(Map.of("kubernetes.podTemplate", template.toString(), "kubernetes.nodeSelector", "pool=gpu",
                "kubernetes.tolerations", "gpu=yes:NoSchedule", "kubernetes.imagePullSecrets", "regcred",
                "kubernetes.serviceAccount", "cohort-worker"), 2);
        assertThat(p.getMetadata().getName()).isEqualTo("cohort-k3x9p2aa-w12");
        assertThat(p.getMetadata().getNamespace()).isEqualTo("ml");
        assertThat(p.getMetadata().getLabels()).containsEntry("team", "vision").containsEntry(PodNames.WORKER, "w12");
        assertThat(p.getMetadata().getAnnotations()).containsEntry("sidecar.istio.io/inject", "false");
        assertThat(p.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("cohort-k3x9p2aa"));
        assertThat(p.getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(p.getSpec().getActiveDeadlineSeconds()).isEqualTo(7L * 24 * 3600);
        assertThat(p.getSpec().getServiceAccountName()).isEqualTo("cohort-worker");
        assertThat(p.getSpec().getNodeSelector()).containsEntry("disk", "ssd").containsEntry("pool", "gpu");
        assertThat(p.getSpec().getTolerations()).hasSize(2);
        assertThat(p.getSpec().getImagePullSecrets()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("regcred"));
        assertThat(p.getSpec().getVolumes()).hasSize(1);
        assertThat(p.getSpec().getContainers()).extracting(Container::getName).containsExactly("cohort-worker", "log-shipper");
        Container c = p.getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("ghcr.io/acme/cohort:1");
        assertThat(c.getCommand()).endsWith("-cp", PodFactory.agentClassPath(), PodFactory.AGENT_CLASS).startsWith("java");
        assertThat(c.getVolumeMounts()).singleElement().satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/home/cdsw"));
        assertThat(c.getEnv()).anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("TEAM=vision"))
                .anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("COHORT_API=http://10.0.0.5:4567/api"))
                .anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("COHORT_TLS_FINGERPRINT=sha256:ab"))
                .anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("CDSW_IP_ADDRESS");
                    assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
                });
        assertThat(c.getEnv()).filteredOn(e -> e.getName().equals("COHORT_API")).hasSize(1);
        assertThat(c.getResources().getRequests()).containsEntry("cpu", new Quantity("1500m"))
                .containsEntry("memory", new Quantity(Long.toString(3L << 30))).containsEntry("nvidia.com/gpu", new Quantity("2"));
        // cpu is a request only unless kubernetes.cpuLimit is on: the template's cpu limit goes.
        assertThat(c.getResources().getLimits()).containsEntry("memory", new Quantity(Long.toString(3L << 30)))
                .containsEntry("nvidia.com/gpu", new Quantity("2")).containsEntry("ephemeral-storage", new Quantity("2Gi"))
                .doesNotContainKey("cpu");
        assertThat(pod(Map.of("kubernetes.cpuLimit", "on"), 0).getSpec().getContainers().get(0).getResources().getLimits())
                .containsEntry("cpu", new Quantity("1500m")).doesNotContainKey("nvidia.com/gpu");
        assertValid(p);
    }

    @Test
    void everyPodCohortMakesIsValidAgainstThePodSchemaOfTheOldestAndNewestSupportedKubernetes() {
        assertValid(pod(Map.of(), 0));
        assertValid(pod(Map.of("kubernetes.cpuLimit", "on", "kubernetes.tolerations", "a=b:NoExecute,c:NoSchedule,d",
                "kubernetes.nodeSelector", "x=y", "kubernetes.imagePullSecrets", "a,b", "kubernetes.serviceAccount", "sa"), 4));
    }

    @Test
    void theSchemaCheckCatchesAnInvalidPod() {
        Pod p = pod(Map.of(), 0);
        p.getSpec().setAdditionalProperty("restartPolicyy", "Never");
        assertThat(errors(p, "v1.32.2")).isNotEmpty();
    }

    static void assertValid(Pod p) {
        for (String v : List.of("v1.29.0", "v1.32.2")) {
            assertThat(errors(p, v)).as("the pod against Kubernetes %s's schema:%n%s", v, Serialization.asYaml(p)).isEmpty();
        }
    }

    static List<String> errors(Pod p, String version) {
        try (InputStream in = new GZIPInputStream(PodFactoryTest.class.getResourceAsStream("/k8s-schema/pod-" + version + ".json.gz"))) {
            Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
                    // openapi2jsonschema names no draft ("http://json-schema.org/schema#"); its keywords are draft 7's.
                    .getSchema(new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\"http://json-schema.org/schema#\"",
                            "\"http://json-schema.org/draft-07/schema#\""), InputFormat.JSON);
            return schema.validate(Serialization.asJson(p), InputFormat.JSON).stream().map(Object::toString).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void namesAreDnsLabelsWithinSixtyThreeCharactersAndTheSameEachTime() {
        assertThat(PodNames.pod("k3x9p2aa", "w12")).isEqualTo("cohort-k3x9p2aa-w12");
        String longName = PodNames.pod("My_Session.With-A-Very-Long-Name-That-Goes-On-And-On-And-On", "w100000");
        assertThat(longName).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")
                .isEqualTo(PodNames.pod("My_Session.With-A-Very-Long-Name-That-Goes-On-And-On-And-On", "w100000"))
                .isNotEqualTo(PodNames.pod("My_Session.With-A-Very-Long-Name-That-Goes-On-And-On-And-On", "w100001"));
        assertThat(PodNames.pod("a_b", "w1")).isNotEqualTo(PodNames.pod("a-b", "w1"));
        assertThat(PodNames.labelValue("launch 1/of:many")).matches("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]").hasSizeLessThanOrEqualTo(63);
    }

    @Test
    void badSettingsNameTheSettingAndTheFix() {
        assertThatThrownBy(() -> settings(Map.of("kubernetes.maxPending", "0"))).isInstanceOf(CohortException.class)
                .hasMessageContaining("the setting kubernetes.maxPending (-Dcohort.kubernetes.maxPending, COHORT_KUBERNETES_MAXPENDING")
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> settings(Map.of("kubernetes.tolerations", "gpu=yes:Sometimes")))
                .hasMessageContaining("kubernetes.tolerations").hasMessageContaining("NoSchedule, PreferNoSchedule, NoExecute");
        assertThatThrownBy(() -> settings(Map.of("kubernetes.nodeSelector", "gpu"))).hasMessageContaining("key=value");
        assertThatThrownBy(() -> settings(Map.of("kubernetes.namespace", "ML_Team"))).hasMessageContaining("no namespace name");
        assertThatThrownBy(() -> settings(Map.of("kubernetes.podTemplate", dir.resolve("none.yaml").toString())))
                .hasMessageContaining("kubernetes.podTemplate").hasMessageContaining("not a file");
        assertThatThrownBy(() -> settings(Map.of("kubernetes.cpuLimit", "maybe"))).hasMessageContaining("'on' or 'off'");
    }

    @Test
    void aTemplateThatIsNoPodIsRefusedWithTheFix() throws IOException {
        Path t = dir.resolve("svc.yaml");
        Files.writeString(t, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n");
        assertThatThrownBy(() -> new PodFactory(settings(Map.of("kubernetes.podTemplate", t.toString())), "ml"))
                .isInstanceOf(CohortException.class).hasMessageContaining("not a Pod");
    }

    @Test
    void theSessionsAddressDefaultsToItsPodsAddressInAPod() {
        assertThat(KubernetesSettings.defaultMasterAddress(Map.of("POD_IP", "10.42.0.17"))).isEqualTo("10.42.0.17");
        assertThat(KubernetesSettings.defaultMasterAddress(Map.of())).isNotBlank();
        SessionOptions o = SessionOptions.builder().setting("kubernetes.masterIp", "session.ml.svc").build();
        assertThat(KubernetesSettings.from(o, Map.of("POD_IP", "10.42.0.17")).masterAddress()).isEqualTo("session.ml.svc");
    }
}
