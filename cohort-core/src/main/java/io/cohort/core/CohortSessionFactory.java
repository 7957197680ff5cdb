package io.cohort.core;

import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.spi.SessionFactory;
import java.time.Clock;

/** Registered with ServiceLoader so {@link Session#open} finds the core without the API depending on it. */
public final class CohortSessionFactory implements SessionFactory {
    @Override
    public Session open(SessionOptions options) {
        return new DefaultSession(options, Clock.systemUTC(), null);
    }

    @Override
    public Session resume(java.nio.file.Path sessionDirectory, SessionOptions options) {
        return new DefaultSession(options, Clock.systemUTC(), sessionDirectory);
    }

    @Override
    public Session attach(java.nio.file.Path connectionFile, java.io.PrintStream console) {
        return io.cohort.core.remote.RemoteSession.attach(connectionFile, console);
    }
}
