package io.cohort.core.backend;

import java.time.Duration;
import java.time.Instant;

/** One expected agent, as its backend holds it. */
public interface AgentLink {
    /**
     * Asks the agent to stop the program: it sends SIGTERM to the whole tree, then SIGKILL after
     * {@code grace}, and reports the exit. An agent that is polling hears it at once.
     */
    void requestStop(Duration grace);

    /** True once the agent reported that the program started. */
    boolean started();

    /** True once the worker's end was reported, by the agent or by {@link #endedWithoutAgent}. */
    boolean ended();

    /** When the agent last called, or null if it never did. */
    Instant lastContact();

    /**
     * Reports an end the agent could not report itself (its job was cancelled, hit its time limit,
     * lost its node): the exit, or a failure to start when the program never started. Does nothing
     * when the end is already known. Output the agent ships afterwards is dropped.
     */
    void endedWithoutAgent(int exitCode, String reason);
}
