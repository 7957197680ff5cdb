package io.cohort.core.backend;

import io.cohort.SessionOptions;
import java.nio.file.Path;

/**
 * What a backend is opened with.
 *
 * @param sessionId        the session's id
 * @param sessionDirectory where the session keeps its files (logs, launches, the database)
 * @param options          the session's options; backend settings are read with {@code options.setting(...)}
 * @param agents           the session's end of the agent protocol, for backends whose workers run elsewhere
 */
public record BackendContext(String sessionId, Path sessionDirectory, SessionOptions options, Agents agents) {
}
