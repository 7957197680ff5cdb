package io.cohort.kubernetes;

import io.cohort.CohortException;
import io.cohort.core.backend.BackendContext;
import io.cohort.worker.WorkerVariables;
import io.cohort.worker.agent.Agent;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One worker's pod: the user's pod template (if any) with the fields cohort owns laid over it.
 * Cohort owns the name, namespace, its labels, the owner reference, restartPolicy, activeDeadlineSeconds,
 * and in the worker container (the template's container named {@value #CONTAINER}, else its first)
 * the command, the cohort variables and cpu, memory and nvidia.com/gpu. Everything else in the
 * template stays: volumes and mounts, sidecars, security contexts, affinity, other resources.
 */
final class PodFactory {
    static final String CONTAINER = "cohort-worker";
    static final String AGENT_CLASS = Agent.class.getName();
    static final String GPU = "nvidia.com/gpu";
    private final KubernetesSettings settings;
    private final String namespace;
    private final Pod template;

    PodFactory(KubernetesSettings settings, String namespace) {
        this.settings = settings;
        this.namespace = namespace;
        this.template = settings.podTemplate() == null ? null : load(settings.podTemplate());
    }

    private static Pod load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Object o = Serialization.unmarshal(in);
            if (!(o instanceof Pod p)) {
                throw new CohortException(BackendContext.where("kubernetes.podTemplate") + " names " + file + ", which holds "
                        + (o == null ? "nothing" : "a " + o.getClass().getSimpleName()) + ", not a Pod; write a pod YAML"
                        + " (apiVersion: v1, kind: Pod)");
            }
            return p;
        } catch (IOException | RuntimeException e) {
            if (e instanceof CohortException c) {
                throw c;
            }
            throw new CohortException(BackendContext.where("kubernetes.podTemplate") + " names " + file
                    + ", which cannot be read as a pod YAML: " + e.getMessage() + "; fix the file (kubectl create"
                    + " --dry-run=client -f FILE checks it)");
        }
    }

    /** Where the agent's classes are: cohort-worker's jar (or classes folder). */
    static String agentClassPath() {
        try {
            return new File(Agent.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("cannot locate cohort-worker's classes for the Kubernetes agent", e);
        }
    }

    /**
     * The pod of one worker.
     *
     * @param name      its name
     * @param labels    its labels (session, launch, worker)
     * @param owner     the session's owner object, or null (a dry run before the owner exists)
     * @param agentEnv  what the agent needs: the COHORT_* variables
     * @param cpu       cores to request
     * @param memory    bytes, request and limit
     * @param gpus      whole GPUs, as a limit
     */
    Pod pod(String name, Map<String, String> labels, OwnerReference owner, Map<String, String> agentEnv, double cpu,
            long memory, int gpus) {
        Pod pod = template == null ? new Pod() : Serialization.clone(template);
        pod.setApiVersion("v1");
        pod.setKind("Pod");
        ObjectMeta meta = pod.getMetadata() == null ? new ObjectMeta() : pod.getMetadata();
        pod.setMetadata(meta);
        meta.setName(name);
        meta.setGenerateName(null);
        meta.setNamespace(namespace);
        meta.setResourceVersion(null);
        meta.setUid(null);
        Map<String, String> l = new LinkedHashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels());
        l.putAll(labels);
        meta.setLabels(l);
        List<OwnerReference> owners = new ArrayList<>(meta.getOwnerReferences() == null ? List.of() : meta.getOwnerReferences());
        owners.removeIf(o -> Boolean.TRUE.equals(o.getController()));
        if (owner != null) {
            owners.add(owner);
        }
        meta.setOwnerReferences(owners);

        PodSpec spec = pod.getSpec() == null ? new PodSpec() : pod.getSpec();
        pod.setSpec(spec);
        pod.setStatus(null);
        spec.setRestartPolicy("Never");
        spec.setActiveDeadlineSeconds(settings.activeDeadline());
        if (settings.serviceAccount() != null) {
            spec.setServiceAccountName(settings.serviceAccount());
        }
        if (!settings.nodeSelector().isEmpty()) {
            Map<String, String> ns = new LinkedHashMap<>(spec.getNodeSelector() == null ? Map.of() : spec.getNodeSelector());
            ns.putAll(settings.nodeSelector());
            spec.setNodeSelector(ns);
        }
        if (!settings.tolerations().isEmpty()) {
            List<Toleration> t = new ArrayList<>(spec.getTolerations() == null ? List.of() : spec.getTolerations());
            t.addAll(settings.tolerations());
            spec.setTolerations(t);
        }
        if (!settings.imagePullSecrets().isEmpty()) {
            List<LocalObjectReference> s = new ArrayList<>(spec.getImagePullSecrets() == null ? List.of() : spec.getImagePullSecrets());
            settings.imagePullSecrets().forEach(n -> s.add(new LocalObjectReference(n)));
            spec.setImagePullSecrets(s);
        }
        List<Container> containers = new ArrayList<>(spec.getContainers() == null ? List.of() : spec.getContainers());
        Container c = containers.stream().filter(x -> CONTAINER.equals(x.getName())).findFirst()
                .orElse(containers.isEmpty() ? null : containers.get(0));
        if (c == null) {
            c = new Container();
            containers.add(c);
        }
        spec.setContainers(containers);
        c.setName(CONTAINER);
        if (settings.image() != null) {
            c.setImage(settings.image());
        } else if (c.getImage() == null || c.getImage().isBlank()) {
            c.setImage(KubernetesSettings.DEFAULT_IMAGE);
        }
        c.setCommand(settings.agentCommand());
        c.setArgs(List.of());
        c.setEnv(env(c.getEnv(), agentEnv));
        c.setResources(resources(c.getResources(), cpu, memory, gpus));
        return pod;
    }

    /** The template's variables, with the agent's laid over them and the pod's address from the downward API. */
    private static List<EnvVar> env(List<EnvVar> template, Map<String, String> agentEnv) {
        Map<String, EnvVar> byName = new LinkedHashMap<>();
        if (template != null) {
            template.forEach(v -> byName.put(v.getName(), v));
        }
        new java.util.TreeMap<>(agentEnv).forEach((k, v) -> byName.put(k, new EnvVar(k, v, null)));
        byName.put(WorkerVariables.CDSW_IP_ADDRESS, new EnvVarBuilder().withName(WorkerVariables.CDSW_IP_ADDRESS)
                .withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom().build());
        return new ArrayList<>(byName.values());
    }

    private ResourceRequirements resources(ResourceRequirements template, double cpu, long memory, int gpus) {
        Map<String, Quantity> requests = new HashMap<>();
        Map<String, Quantity> limits = new HashMap<>();
        if (template != null) {
            if (template.getRequests() != null) {
                requests.putAll(template.getRequests());
            }
            if (template.getLimits() != null) {
                limits.putAll(template.getLimits());
            }
        }
        Quantity cpuQ = new Quantity(millicores(cpu) + "m");
        Quantity mem = new Quantity(Long.toString(memory));
        requests.put("cpu", cpuQ);
        requests.put("memory", mem);
        limits.put("memory", mem);
        if (settings.cpuLimit()) {
            limits.put("cpu", cpuQ);
        } else {
            limits.remove("cpu");
        }
        if (gpus > 0) {
            limits.put(GPU, new Quantity(Integer.toString(gpus)));
            requests.put(GPU, new Quantity(Integer.toString(gpus)));
        } else {
            limits.remove(GPU);
            requests.remove(GPU);
        }
        ResourceRequirements r = new ResourceRequirements();
        r.setRequests(requests);
        r.setLimits(limits);
        return r;
    }

    static long millicores(double cpu) {
        return Math.max(1, (long) Math.ceil(cpu * 1000 - 1e-6));
    }

    static String describe(double cpu, long memory, int gpus, boolean cpuLimit) {
        return String.format(Locale.ROOT, "cpu %dm (%s), memory %d MiB (request = limit)%s", millicores(cpu),
                cpuLimit ? "request and limit" : "request; no limit", memory >> 20, gpus > 0 ? ", " + GPU + " " + gpus : "");
    }
}
