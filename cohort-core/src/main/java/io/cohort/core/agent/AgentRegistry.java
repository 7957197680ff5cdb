package io.cohort.core.agent;

import io.cohort.CohortException;
import io.cohort.OutputLine;
import io.cohort.core.backend.AgentLink;
import io.cohort.core.backend.Agents;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agents a session expects, and what each has reported. The control plane calls it for the
 * agents' requests ({@code /v1/agents/...}); backends hold the {@link AgentLink}s. Reports reach a
 * worker's sink in the order the sink requires, and none after its end.
 */
public final class AgentRegistry implements Agents {
    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final Clock clock;

    public AgentRegistry(Clock clock) {
        this.clock = clock;
    }

    @Override
    public AgentLink expect(WorkerSpec spec, WorkerSink sink, List<String> notes) {
        Agent a = new Agent(spec, sink, notes);
        if (agents.putIfAbsent(spec.workerId(), a) != null) {
            throw new IllegalStateException("an agent for " + spec.workerId() + " is already expected");
        }
        return a;
    }

    /** The agent for this worker; a clear error for a worker that has none. */
    public Agent agent(String workerId) {
        Agent a = agents.get(workerId);
        if (a == null) {
            throw new NoSuchAgent("no agent is expected for worker '" + workerId + "' in this session; agents are"
                    + " started by remote backends with COHORT_WORKER_ID set to their worker");
        }
        return a;
    }

    /** Asked for a worker this session never handed to an agent. */
    public static final class NoSuchAgent extends RuntimeException {
        NoSuchAgent(String message) {
            super(message);
        }
    }

    /** One worker's agent: what it was given, and what it has said. */
    public final class Agent implements AgentLink {
        private final WorkerSpec spec;
        private final WorkerSink sink;
        private final List<String> notes;
        private volatile Instant lastContact;
        private long stopGraceMillis = -1;
        private boolean started;
        private boolean ended;

        Agent(WorkerSpec spec, WorkerSink sink, List<String> notes) {
            this.spec = spec;
            this.sink = sink;
            this.notes = notes;
        }

        public WorkerSpec spec() {
            touch();
            return spec;
        }

        /** The program started on the agent's host. */
        public synchronized void started(long pid, String address, List<Integer> gpus) {
            touch();
            if (ended) {
                throw new CohortException("worker " + spec.workerId() + " has already ended; its agent should exit");
            }
            if (started) {
                throw new CohortException("worker " + spec.workerId() + " was already started by an agent; a second"
                        + " agent for it (a requeued job?) must not run it again");
            }
            started = true;
            sink.placed(address, gpus, List.copyOf(notes));
            sink.running(pid);
        }

        /** Lines the program wrote, in order; answers the stop grace when a stop was asked for, else -1. */
        public synchronized long output(List<OutputLine> lines) {
            touch();
            if (started && !ended) {
                for (OutputLine l : lines) {
                    sink.output(l.stream(), l.text());
                }
            }
            return ended ? 0 : stopGraceMillis;
        }

        /**
         * Waits up to {@code wait} for a stop request: the agent's heartbeat. Answers the grace to use
         * (milliseconds), or -1 when none was asked for, or 0 when the worker already ended.
         */
        public synchronized long poll(Duration wait) throws InterruptedException {
            touch();
            long deadline = System.nanoTime() + wait.toNanos();
            while (stopGraceMillis < 0 && !ended) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wait(Math.max(1, left / 1_000_000));
            }
            touch();
            return ended ? 0 : stopGraceMillis;
        }

        /** The program exited; {@code reason} explains an abnormal end. */
        public synchronized void exited(int exitCode, String reason) {
            touch();
            end(exitCode, reason);
        }

        @Override
        public synchronized void requestStop(Duration grace) {
            if (stopGraceMillis < 0) {
                stopGraceMillis = Math.max(0, grace.toMillis());
                notifyAll();
            }
        }

        @Override
        public synchronized boolean started() {
            return started;
        }

        @Override
        public synchronized boolean ended() {
            return ended;
        }

        @Override
        public Instant lastContact() {
            return lastContact;
        }

        @Override
        public synchronized void endedWithoutAgent(int exitCode, String reason) {
            end(exitCode, reason);
        }

        private void end(int exitCode, String reason) {
            if (ended) {
                return;
            }
            ended = true;
            notifyAll();
            if (started || (stopGraceMillis >= 0 && reason == null)) {
                // Stopped before it started (a job cancelled while pending) ends as stopped, not failed.
                sink.exited(exitCode, reason);
            } else {
                sink.failedToStart(reason == null ? "its agent ended (exit code " + exitCode + ") before starting it" : reason);
            }
        }

        private void touch() {
            lastContact = clock.instant();
        }
    }
}
