package io.cohort.core.backend;

/**
 * Found with ServiceLoader: the core never imports a backend. A provider named {@code n} whose class is
 * {@code io.cohort.n.NBackendProvider} (as cohort's own: {@code io.cohort.local.LocalBackendProvider}) is
 * found by that name first, without the ServiceLoader scan, which reads every jar of the class path
 * (see {@code DefaultSession.openBackend}); it must be listed for ServiceLoader all the same.
 */
public interface BackendProvider {
    /** The name users select it by ("local", "slurm"). */
    String name();

    /** Opens the backend for one session. */
    Backend open(BackendContext context);
}
