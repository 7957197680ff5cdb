package io.cohort.kubernetes;

import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.BackendProvider;

/** Workers as Kubernetes pods: select with backend=kubernetes (see docs/kubernetes.md). */
public final class KubernetesBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public Backend open(BackendContext context) {
        return new KubernetesBackend(context);
    }
}
