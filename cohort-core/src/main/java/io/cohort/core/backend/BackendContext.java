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
    /**
     * Where a setting can be given, for messages that refuse its value: "the setting KEY (-Dcohort.KEY,
     * COHORT_KEY or the config file)".
     */
    public static String where(String key) {
        return "the setting " + key + " (-Dcohort." + key + ", COHORT_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_')
                + " or the config file)";
    }
}
