package io.cohort.core.backend;

import io.cohort.SessionOptions;
import java.nio.file.Path;

/** Found with ServiceLoader: the core never imports a backend. */
public interface BackendProvider {
    /** The name users select it by ("local"). */
    String name();

    /** Opens the backend for one session, whose files live in {@code sessionDirectory}. */
    Backend open(String sessionId, Path sessionDirectory, SessionOptions options);
}
