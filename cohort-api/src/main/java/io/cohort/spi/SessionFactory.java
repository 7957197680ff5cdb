package io.cohort.spi;

import io.cohort.Session;
import io.cohort.SessionOptions;

/** Implemented by cohort-core and found with ServiceLoader, so the API module depends on nothing. */
public interface SessionFactory {
    Session open(SessionOptions options);

    Session resume(java.nio.file.Path sessionDirectory, SessionOptions options);

    /** A session running elsewhere, from its connection file; output is printed on {@code console} (or not, when null). */
    Session attach(java.nio.file.Path connectionFile, java.io.PrintStream console);
}
