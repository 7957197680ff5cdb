package io.cohort.local;

import io.cohort.SessionOptions;
import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendProvider;
import java.nio.file.Path;

/** The default backend: workers as processes on this machine. */
public final class LocalBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "local";
    }

    @Override
    public Backend open(String sessionId, Path sessionDirectory, SessionOptions options) {
        return new LocalBackend(sessionId, sessionDirectory, options);
    }
}
