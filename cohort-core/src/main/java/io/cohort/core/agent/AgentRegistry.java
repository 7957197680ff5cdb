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
import java.util.concurrent.CompletableFuture;
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

    /**
     * One worker's agent: what it was given, and what it has said. Two locks: the monitor guards the
     * state (started, ended, the stop request) and is never held while the sink is called, so a poll
     * or a stop answers at once even when the console is slow; {@code reports} keeps the sink's calls
     * in order, so no line comes after the end.
     */
    public final class Agent implements AgentLink {
        private final WorkerSpec spec;
        private final WorkerSink sink;
        private final List<String> notes;
        private final Object reports = new Object();
        private volatile Instant lastContact;
        private long stopGraceMillis = -1;
        private long startedPid = -1;
        private boolean ended;
        /** Polls waiting for a stop or the end. Guarded by the monitor. */
        private final List<CompletableFuture<Long>> polls = new java.util.ArrayList<>();

        Agent(WorkerSpec spec, WorkerSink sink, List<String> notes) {
            this.spec = spec;
            this.sink = sink;
            this.notes = notes;
        }

        /** What the agent runs; refused once the worker has ended or been stopped, so that a late job runs nothing. */
        public WorkerSpec spec() {
            touch();
            synchronized (this) {
                if (ended || (stopGraceMillis >= 0 && startedPid < 0)) {
                    throw new CohortException("worker " + spec.workerId() + " was stopped or has ended; this job must not"
                            + " run it");
                }
            }
            return spec;
        }

        /** The program started on the agent's host. The same report again (a retried request) is accepted. */
        public void started(long pid, String address, List<Integer> gpus) {
            touch();
            synchronized (reports) {
                synchronized (this) {
                    if (startedPid == pid && !ended) {
                        return;
                    }
                    if (ended) {
                        throw new CohortException("worker " + spec.workerId() + " has already ended; its agent should exit");
                    }
                    if (startedPid >= 0) {
                        throw new CohortException("worker " + spec.workerId() + " was already started by an agent; a second"
                                + " agent for it (a requeued job?) must not run it again");
                    }
                    startedPid = pid;
                }
                sink.placed(address, gpus, List.copyOf(notes));
                sink.running(pid);
            }
        }

        /** Lines the program wrote, in order; answers the stop grace when a stop was asked for, else -1. */
        public long output(List<OutputLine> lines) {
            touch();
            synchronized (reports) {
                boolean deliver;
                synchronized (this) {
                    deliver = startedPid >= 0 && !ended;
                }
                if (deliver) {
                    // Runs of one stream, each handed over at once.
                    int from = 0;
                    for (int i = 1; i <= lines.size(); i++) {
                        if (i == lines.size() || lines.get(i).stream() != lines.get(from).stream()) {
                            sink.output(lines.get(from).stream(), lines.subList(from, i).stream().map(OutputLine::text).toList());
                            from = i;
                        }
                    }
                }
            }
            synchronized (this) {
                return ended ? 0 : stopGraceMillis;
            }
        }

        /**
         * Waits up to {@code wait} for a stop request: the agent's heartbeat. Answers the grace to use
         * (milliseconds), or -1 when none was asked for, or 0 when the worker already ended.
         */
        public long poll(Duration wait) throws InterruptedException {
            CompletableFuture<Long> answer = pollLater(wait);
            try {
                return answer.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            } finally {
                answer.cancel(false);
            }
        }

        /**
         * {@link #poll} without holding the caller's thread: answered by a stop request, the worker's
         * end, or the wait running out, whichever comes first.
         */
        public CompletableFuture<Long> pollLater(Duration wait) {
            touch();
            CompletableFuture<Long> answer = new CompletableFuture<>();
            synchronized (this) {
                if (stopGraceMillis >= 0 || ended || wait.isZero() || wait.isNegative()) {
                    answer.complete(ended ? 0 : stopGraceMillis);
                    return answer;
                }
                polls.add(answer);
            }
            var timeout = io.cohort.core.backend.Background.after(wait, "an agent poll's timeout", () -> {
                synchronized (this) {
                    polls.remove(answer);
                }
                touch();
                answer.complete(currentAnswer());
            });
            answer.whenComplete((v, e) -> timeout.cancel(false));
            return answer;
        }

        private synchronized long currentAnswer() {
            return ended ? 0 : stopGraceMillis;
        }

        /** Answers every waiting poll; called after a change, outside the monitor. */
        private void answerPolls() {
            List<CompletableFuture<Long>> waiting;
            long now;
            synchronized (this) {
                waiting = List.copyOf(polls);
                polls.clear();
                now = ended ? 0 : stopGraceMillis;
            }
            if (!waiting.isEmpty()) {
                touch();
                waiting.forEach(p -> p.complete(now));
            }
        }

        /** The program exited; {@code reason} explains an abnormal end. */
        public void exited(int exitCode, String reason) {
            touch();
            end(exitCode, reason);
        }

        @Override
        public void requestStop(Duration grace) {
            synchronized (this) {
                if (stopGraceMillis >= 0) {
                    return;
                }
                stopGraceMillis = Math.max(0, grace.toMillis());
            }
            answerPolls();
        }

        @Override
        public synchronized boolean started() {
            return startedPid >= 0;
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
        public void endedWithoutAgent(int exitCode, String reason) {
            end(exitCode, reason);
        }

        private void end(int exitCode, String reason) {
            synchronized (reports) {
                boolean started;
                boolean stopped;
                synchronized (this) {
                    if (ended) {
                        return;
                    }
                    ended = true;
                    started = startedPid >= 0;
                    stopped = stopGraceMillis >= 0;
                }
                answerPolls();
                if (started || (stopped && reason == null)) {
                    // Stopped before it started (a job cancelled while pending) ends as stopped, not failed.
                    sink.exited(exitCode, reason);
                } else {
                    sink.failedToStart(reason == null ? "its agent ended (exit code " + exitCode + ") before starting it" : reason);
                }
            }
        }

        private void touch() {
            lastContact = clock.instant();
        }
    }
}
