package io.cohort.local;

import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.BackendProvider;

/** The default backend: workers as processes on this machine. */
public final class LocalBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "local";
    }

    @Override
    public Backend open(BackendContext context) {
        return new LocalBackend(context.sessionId(), context.sessionDirectory(), context.options());
    }
}
