package io.cohort.kubernetes;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Locale;
import java.util.stream.Collectors;

/** The API server's refusals, in words that say what to change. */
final class Refusals {
    private Refusals() {
    }

    static String explain(KubernetesClientException e, String namespace, String what) {
        Status s = e.getStatus();
        int code = e.getCode();
        String message = s != null && s.getMessage() != null ? s.getMessage() : e.getMessage();
        String lower = message == null ? "" : message.toLowerCase(Locale.ROOT);
        String head = "Kubernetes refused " + what + " (" + code + (s != null && s.getReason() != null ? " " + s.getReason() : "")
                + ": " + message + "): ";
        if (code == 403 && lower.contains("exceeded quota")) {
            return head + "namespace " + namespace + "'s ResourceQuota has no room for it; ask for less per worker, fewer"
                    + " workers, or a larger quota (kubectl describe resourcequota -n " + namespace + ")";
        }
        if (code == 403) {
            return head + "the session's credentials may not do this in namespace " + namespace + "; grant them the Role in"
                    + " docs/kubernetes.md (pods, pods/status; configmaps), or set kubernetes.namespace / kubernetes.context"
                    + " to where they may";
        }
        if (code == 401) {
            return head + "the credentials of the kubeconfig (kubernetes.kubeconfig, kubernetes.context) were not accepted; log in again";
        }
        if (code == 404 && (lower.contains("namespace") || s != null && s.getDetails() != null
                && "namespaces".equals(s.getDetails().getKind()))) {
            return head + "namespace " + namespace + " does not exist; create it (kubectl create namespace " + namespace
                    + ") or set kubernetes.namespace to one that does";
        }
        if (code == 422 || code == 400) {
            String causes = s == null || s.getDetails() == null || s.getDetails().getCauses() == null ? ""
                    : s.getDetails().getCauses().stream().map(Refusals::cause).collect(Collectors.joining("; "));
            return head + "the pod cohort made is not valid here" + (causes.isEmpty() ? "" : " (" + causes + ")")
                    + "; check kubernetes.podTemplate, kubernetes.image, kubernetes.nodeSelector and kubernetes.tolerations";
        }
        if (code <= 0) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return "cannot reach the Kubernetes API server for " + what + ": " + e.getMessage()
                    + (root != e ? " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")" : "")
                    + "; check kubernetes.kubeconfig and kubernetes.context (or KUBECONFIG, ~/.kube/config), or run the"
                    + " session in a pod with a service account";
        }
        return head + "check the kubernetes.* settings (docs/kubernetes.md)";
    }

    private static String cause(StatusCause c) {
        return (c.getField() == null ? "" : c.getField() + ": ") + c.getMessage();
    }
}
