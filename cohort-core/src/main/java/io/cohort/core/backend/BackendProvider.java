package io.cohort.core.backend;

/** Found with ServiceLoader: the core never imports a backend. */
public interface BackendProvider {
    /** The name users select it by ("local", "slurm"). */
    String name();

    /** Opens the backend for one session. */
    Backend open(BackendContext context);
}
