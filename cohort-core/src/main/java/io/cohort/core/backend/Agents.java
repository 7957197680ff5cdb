package io.cohort.core.backend;

import java.util.List;

/**
 * The session's end of the agent protocol (docs/control-plane.md, "Agents"). A backend whose workers
 * run on other machines starts, for each worker, a small agent there that calls the control plane:
 * it fetches the worker's command and environment, runs it, ships its output, polls for a stop, and
 * reports the exit. The session turns those calls into the worker's {@link WorkerSink} reports, so
 * remote workers look exactly like local ones.
 */
public interface Agents {
    /**
     * Expects an agent for this worker. Its command, environment and directory are served to the agent
     * as given here; {@code notes} are attached when the agent reports the program started (the
     * backend may add to the list until then, e.g. the job's id once it is submitted).
     */
    AgentLink expect(WorkerSpec spec, WorkerSink sink, List<String> notes);
}
