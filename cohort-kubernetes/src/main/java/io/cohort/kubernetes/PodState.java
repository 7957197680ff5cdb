package io.cohort.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.util.List;
import java.util.Set;

/**
 * What one pod's status says about its worker, in words. Read from the pod alone, so that the watch,
 * the periodic re-list and the tests from recorded API answers all decide the same way.
 *
 * @param kind      where the worker stands
 * @param words     why, for the worker's reason or waiting line
 * @param exitCode  the container's exit code when it ended, else -1
 * @param scheduled whether the pod has a node
 */
record PodState(Kind kind, String words, int exitCode, boolean scheduled) {
    enum Kind {
        /** Not yet running: unscheduled, pulling, creating. */
        WAITING,
        /** Its container runs. */
        RUNNING,
        /** It ended (Succeeded or Failed), or it can never run (a bad image). */
        ENDED
    }

    /** Waiting reasons of a container that will not start without a change by the user. */
    static final Set<String> IMAGE_ERRORS = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName",
            "ErrImageNeverPull", "RegistryUnavailable");
    static final Set<String> CONFIG_ERRORS = Set.of("CreateContainerConfigError", "CreateContainerError", "RunContainerError");

    static PodState of(Pod pod) {
        String name = pod.getMetadata().getName();
        PodStatus s = pod.getStatus();
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return new PodState(Kind.ENDED, "pod " + name + " is being deleted", -1, true);
        }
        if (s == null || s.getPhase() == null) {
            return new PodState(Kind.WAITING, "pod " + name + " is created; waiting for the scheduler", -1, false);
        }
        String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        ContainerStatus c = worker(s.getContainerStatuses());
        switch (s.getPhase()) {
            case "Running":
                return new PodState(Kind.RUNNING, "pod " + name + " runs on node " + node + "; its agent is starting", -1, true);
            case "Succeeded":
            case "Failed":
                return ended(name, node, s, c);
            case "Unknown":
                return new PodState(Kind.ENDED, "pod " + name + "'s node " + node + " stopped reporting (node lost)"
                        + detail(s.getReason(), s.getMessage()), -1, true);
            default:
                break;
        }
        // Pending.
        if (c != null && c.getState() != null && c.getState().getWaiting() != null) {
            ContainerStateWaiting w = c.getState().getWaiting();
            if (IMAGE_ERRORS.contains(w.getReason())) {
                String image = c.getImage() != null ? c.getImage() : pod.getSpec().getContainers().get(0).getImage();
                return new PodState(Kind.ENDED, "pod " + name + " cannot pull its image " + image + " (" + w.getReason()
                        + (w.getMessage() == null ? "" : ": " + w.getMessage()) + "); check kubernetes.image, the registry"
                        + " and kubernetes.imagePullSecrets", -1, true);
            }
            if (CONFIG_ERRORS.contains(w.getReason())) {
                return new PodState(Kind.ENDED, "pod " + name + " cannot start its container (" + w.getReason()
                        + (w.getMessage() == null ? "" : ": " + w.getMessage()) + "); check kubernetes.podTemplate"
                        + " and kubernetes.agentCommand", -1, true);
            }
            return new PodState(Kind.WAITING, "pod " + name + " on node " + node + ": " + w.getReason()
                    + (w.getMessage() == null ? "" : " (" + w.getMessage() + ")"), -1, true);
        }
        PodCondition sched = condition(s.getConditions(), "PodScheduled");
        if (sched != null && "False".equals(sched.getStatus())) {
            return new PodState(Kind.WAITING, "pending in Kubernetes: " + (sched.getReason() == null ? "not scheduled" : sched.getReason())
                    + (sched.getMessage() == null ? "" : ": " + sched.getMessage()), -1, false);
        }
        if (node == null) {
            return new PodState(Kind.WAITING, "pod " + name + " waits for the scheduler", -1, false);
        }
        return new PodState(Kind.WAITING, "pod " + name + " is starting on node " + node, -1, true);
    }

    private static PodState ended(String name, String node, PodStatus s, ContainerStatus c) {
        ContainerStateTerminated t = c == null || c.getState() == null ? null : c.getState().getTerminated();
        if (t == null && c != null && c.getLastState() != null) {
            t = c.getLastState().getTerminated();
        }
        int code = t == null || t.getExitCode() == null ? -1 : t.getExitCode();
        String reason;
        if ("Evicted".equals(s.getReason())) {
            reason = "pod " + name + " was evicted from node " + node + detail(null, s.getMessage());
        } else if ("DeadlineExceeded".equals(s.getReason())) {
            reason = "pod " + name + " ran past its activeDeadlineSeconds (kubernetes.activeDeadlineSeconds)" + detail(null, s.getMessage());
        } else if (t != null && "OOMKilled".equals(t.getReason())) {
            reason = "out of memory: pod " + name + "'s container was OOMKilled at its memory limit; ask for more memoryGb";
        } else if (s.getReason() != null) {
            reason = "pod " + name + " failed on node " + node + detail(s.getReason(), s.getMessage());
        } else if (t != null) {
            reason = "pod " + name + " ended on node " + node + " with exit code " + code
                    + (t.getReason() == null ? "" : " (" + t.getReason() + (t.getMessage() == null ? "" : ": " + t.getMessage()) + ")");
        } else {
            reason = "pod " + name + " is " + s.getPhase() + " with no container status";
        }
        return new PodState(Kind.ENDED, reason, code, true);
    }

    private static String detail(String reason, String message) {
        if (reason == null && message == null) {
            return "";
        }
        return " (" + (reason == null ? "" : reason + (message == null ? "" : ": ")) + (message == null ? "" : message) + ")";
    }

    private static ContainerStatus worker(List<ContainerStatus> statuses) {
        if (statuses == null || statuses.isEmpty()) {
            return null;
        }
        return statuses.stream().filter(c -> PodFactory.CONTAINER.equals(c.getName())).findFirst().orElse(statuses.get(0));
    }

    private static PodCondition condition(List<PodCondition> conditions, String type) {
        return conditions == null ? null : conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }
}
