package io.cohort.kubernetes;

import io.cohort.CohortException;
import io.cohort.SessionOptions;
import io.cohort.core.backend.BackendContext;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Kubernetes backend's settings, read once when a session opens. Each is {@code kubernetes.KEY}:
 * a builder setting, {@code -Dcohort.kubernetes.KEY}, {@code COHORT_KUBERNETES_KEY}, or a line in the
 * config file (docs/kubernetes.md lists them).
 *
 * @param kubeconfig        a kubeconfig file, or null for fabric8's own search (KUBECONFIG, ~/.kube/config, in-cluster)
 * @param context           the kubeconfig context, or null for its current one
 * @param namespace         where pods go, or null for the context's namespace (else "default")
 * @param image             the worker image, or null for the pod template's (else {@link #DEFAULT_IMAGE})
 * @param serviceAccount    the pods' service account, or null for the template's or the namespace's default
 * @param imagePullSecrets  secret names for pulling the image
 * @param nodeSelector      labels a node must have
 * @param tolerations       taints the pods tolerate
 * @param podTemplate       a pod YAML merged under the fields cohort owns, or null
 * @param masterAddress     the session's address as pods reach it
 * @param agentCommand      the agent's command inside the image, whole
 * @param batchSize         pods created per round
 * @param maxPending        pods that may be created and not yet running at once
 * @param startTimeout      how long a scheduled pod may take until its agent calls
 * @param activeDeadline    activeDeadlineSeconds of every pod: the last bound on a pod's life
 * @param cpuLimit          whether the cpu share is also a limit (else a request only)
 * @param agentGiveUp       how long an agent keeps trying to reach a silent session before it ends its pod
 * @param resync            how often the session's pods are listed again, whatever the watch said
 * @param guard             whether a guard process deletes the session's owner object when its JVM dies
 */
record KubernetesSettings(Path kubeconfig, String context, String namespace, String image, String serviceAccount,
                          List<String> imagePullSecrets, Map<String, String> nodeSelector, List<Toleration> tolerations,
                          Path podTemplate, String masterAddress, List<String> agentCommand, int batchSize, int maxPending,
                          Duration startTimeout, long activeDeadline, boolean cpuLimit, Duration agentGiveUp, Duration resync,
                          boolean guard) {

    static final String DEFAULT_IMAGE = "eclipse-temurin:17-jre";
    /** A small, quick-starting JVM: the agent only moves lines and waits. */
    static final String AGENT_JVM_OPTIONS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx64m -Xss512k -XX:-UsePerfData";

    static KubernetesSettings from(SessionOptions o) {
        return from(o, System.getenv());
    }

    static KubernetesSettings from(SessionOptions o, Map<String, String> env) {
        String kubeconfig = o.setting("kubernetes.kubeconfig", null);
        if (kubeconfig != null && !Files.isRegularFile(Path.of(kubeconfig))) {
            throw new CohortException(BackendContext.where("kubernetes.kubeconfig") + " names " + kubeconfig
                    + ", which is not a file; point it at a kubeconfig, or leave it unset for KUBECONFIG, ~/.kube/config"
                    + " or the pod's service account");
        }
        String template = o.setting("kubernetes.podTemplate", null);
        if (template != null && !Files.isRegularFile(Path.of(template))) {
            throw new CohortException(BackendContext.where("kubernetes.podTemplate") + " names " + template
                    + ", which is not a file; point it at a pod YAML (kind: Pod), or leave it unset");
        }
        String java = o.setting("kubernetes.java", "java");
        String classPath = o.setting("kubernetes.agentClassPath", PodFactory.agentClassPath());
        String command = o.setting("kubernetes.agentCommand", null);
        List<String> agent = new ArrayList<>();
        if (command != null) {
            agent.addAll(BackendContext.words(command, "kubernetes.agentCommand"));
            if (agent.isEmpty()) {
                throw new CohortException(BackendContext.where("kubernetes.agentCommand") + " is empty; give the agent's"
                        + " whole command (e.g. 'java -cp /opt/cohort/cohort-worker.jar io.cohort.worker.agent.Agent'), or unset it");
            }
        } else {
            agent.add(java);
            agent.addAll(BackendContext.words(o.setting("kubernetes.agentJavaOptions", AGENT_JVM_OPTIONS), "kubernetes.agentJavaOptions"));
            agent.addAll(List.of("-cp", classPath, PodFactory.AGENT_CLASS));
        }
        String ns = o.setting("kubernetes.namespace", null);
        if (ns != null && !PodNames.isDnsLabel(ns)) {
            throw new CohortException(BackendContext.where("kubernetes.namespace") + " is '" + ns + "', which is no"
                    + " namespace name (lowercase letters, digits and '-', at most 63); name an existing namespace");
        }
        int batch = whole(o, "kubernetes.batchSize", 10, 1);
        int pending = whole(o, "kubernetes.maxPending", 50, 1);
        return new KubernetesSettings(kubeconfig == null ? null : Path.of(kubeconfig).toAbsolutePath(),
                o.setting("kubernetes.context", null), ns, o.setting("kubernetes.image", null),
                o.setting("kubernetes.serviceAccount", null), list(o.setting("kubernetes.imagePullSecrets", "")),
                nodeSelector(o.setting("kubernetes.nodeSelector", "")), tolerations(o.setting("kubernetes.tolerations", "")),
                template == null ? null : Path.of(template).toAbsolutePath(),
                o.setting("kubernetes.masterIp", defaultMasterAddress(env)), List.copyOf(agent), batch, pending,
                Duration.ofSeconds(whole(o, "kubernetes.startTimeoutSeconds", 300, 1)),
                whole(o, "kubernetes.activeDeadlineSeconds", 7 * 24 * 3600, 1),
                onOff(o, "kubernetes.cpuLimit", "off"),
                Duration.ofMillis(whole(o, "kubernetes.agentGiveUpMillis", 10_000, 1000)),
                Duration.ofMillis(whole(o, "kubernetes.resyncMillis", 5_000, 100)), onOff(o, "kubernetes.guard", "on"));
    }

    private static int whole(SessionOptions o, String key, int fallback, int least) {
        String v = o.setting(key, Integer.toString(fallback));
        try {
            int n = Integer.parseInt(v.strip());
            if (n < least) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new CohortException(BackendContext.where(key) + " must be a whole number, at least " + least
                    + ", got '" + v + "'; the default is " + fallback);
        }
    }

    private static boolean onOff(SessionOptions o, String key, String fallback) {
        String v = o.setting(key, fallback);
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1" -> true;
            case "off", "false", "no", "0" -> false;
            default -> throw new CohortException(BackendContext.where(key) + " is 'on' or 'off', got '" + v + "'");
        };
    }

    static List<String> list(String s) {
        List<String> out = new ArrayList<>();
        for (String p : s.split(",")) {
            if (!p.isBlank()) {
                out.add(p.strip());
            }
        }
        return List.copyOf(out);
    }

    /** {@code key=value,key2=value2}. */
    static Map<String, String> nodeSelector(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : list(s)) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new CohortException(BackendContext.where("kubernetes.nodeSelector") + " has '" + p + "'; write"
                        + " node labels as key=value, separated by commas (e.g. 'pool=gpu,zone=a')");
            }
            out.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Tolerations as kubectl writes taints: {@code key=value:Effect}, {@code key:Effect} (any value),
     * {@code key} (any value, any effect), separated by commas; Effect is NoSchedule, PreferNoSchedule or NoExecute.
     */
    static List<Toleration> tolerations(String s) {
        List<Toleration> out = new ArrayList<>();
        for (String p : list(s)) {
            String effect = null;
            String kv = p;
            int colon = p.lastIndexOf(':');
            if (colon >= 0) {
                effect = p.substring(colon + 1).strip();
                kv = p.substring(0, colon).strip();
                if (!List.of("NoSchedule", "PreferNoSchedule", "NoExecute").contains(effect)) {
                    throw new CohortException(BackendContext.where("kubernetes.tolerations") + " has '" + p + "', whose effect '"
                            + effect + "' is none of NoSchedule, PreferNoSchedule, NoExecute; write key=value:Effect, key:Effect or key");
                }
            }
            int eq = kv.indexOf('=');
            String key = eq >= 0 ? kv.substring(0, eq).strip() : kv;
            if (key.isEmpty()) {
                throw new CohortException(BackendContext.where("kubernetes.tolerations") + " has '" + p + "' with no key;"
                        + " write key=value:Effect, key:Effect or key");
            }
            TolerationBuilder t = new TolerationBuilder().withKey(key).withEffect(effect);
            if (eq >= 0) {
                t.withOperator("Equal").withValue(kv.substring(eq + 1).strip());
            } else {
                t.withOperator("Exists");
            }
            out.add(t.build());
        }
        return List.copyOf(out);
    }

    /**
     * The address pods most likely reach the session by. A session that runs in a pod itself has its
     * pod's address in POD_IP (when its pod spec passes status.podIP down, as docs/kubernetes.md shows);
     * else this host name's address when it is not loopback, else the first up, non-loopback IPv4 address
     * of an interface, else 127.0.0.1 (a cluster on this machine only).
     */
    static String defaultMasterAddress(Map<String, String> env) {
        String podIp = env.get("POD_IP");
        return podIp != null && !podIp.isBlank() ? podIp.strip() : BackendContext.hostAddress();
    }

    File kubeconfigFile() {
        return kubeconfig == null ? null : kubeconfig.toFile();
    }
}
