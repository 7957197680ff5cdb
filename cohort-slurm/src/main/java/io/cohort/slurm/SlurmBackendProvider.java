package io.cohort.slurm;

import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.BackendProvider;

/** Workers as Slurm jobs: select with backend=slurm (see docs/slurm.md). */
public final class SlurmBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "slurm";
    }

    @Override
    public Backend open(BackendContext context) {
        return new SlurmBackend(context);
    }
}
