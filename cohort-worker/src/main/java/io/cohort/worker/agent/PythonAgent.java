package io.cohort.worker.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The agent in Python ({@code cohort_agent.py}, next to this class): the same protocol and promises
 * as {@link Agent}, for nodes that have python3, because it starts in about 20-30 ms of CPU where the
 * agent's JVM takes about 100 ms, and a launch of many workers on few cores pays that once per worker
 * (BENCHMARKS.md, benchmark 6). Backends hand its source to the node inside the job (no shared path
 * needed); it needs only Python 3.6+ and its standard library, and on an older python3 it runs the
 * Java agent given as its arguments instead.
 */
public final class PythonAgent {
    /** The resource that holds the source, beside this class. */
    static final String RESOURCE = "cohort_agent.py";
    /** The line that ends the source in a shell here-document; the source never holds it. */
    public static final String END_MARK = "COHORT_AGENT_PY_END";
    private static volatile String source;

    private PythonAgent() {
    }

    /** The agent's Python source, read once. */
    public static String source() {
        String s = source;
        if (s == null) {
            try (InputStream in = PythonAgent.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is missing beside " + PythonAgent.class.getName()
                            + ": the cohort-worker jar is incomplete; rebuild it, or set cohort.slurm.agent=java");
                }
                s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the Python agent's source", e);
            }
            if (s.lines().anyMatch(END_MARK::equals)) {
                throw new IllegalStateException(RESOURCE + " holds the line " + END_MARK + ", which ends it in a batch script");
            }
            source = s;
        }
        return s;
    }
}
