package io.cohort.core;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.Rendezvous;
import io.cohort.Session;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.WorkerGroup;
import io.cohort.core.group.Group;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A group's handle in the session that launched it: its members only (docs/groups.md). */
final class GroupHandle implements WorkerGroup {
    private final Group group;
    private final Session session;

    GroupHandle(Group group, Session session) {
        this.group = group;
        this.session = session;
    }

    @Override
    public String name() {
        return group.name();
    }

    @Override
    public List<Worker> workers() {
        return group.members().stream().map(session::get).toList();
    }

    @Override
    public AwaitResult await(boolean waitForCompletion, Duration timeout) {
        return session.await(group.members(), waitForCompletion, timeout);
    }

    @Override
    public List<Worker> stop() {
        return session.stop(group.members());
    }

    @Override
    public Rendezvous awaitReady(Duration timeout) {
        try {
            return timeout.isZero() ? group.ready().get() : group.ready().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof CohortException c) {
                throw new CohortException(c.getMessage(), c);
            }
            throw new CohortException("group '" + group.name() + "' cannot be ready: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            List<String> waiting = new ArrayList<>();
            for (Worker w : workers()) {
                if (w.status() != Status.RUNNING || Boolean.FALSE.equals(w.ready())) {
                    waiting.add(w.id() + " (" + (w.status() == Status.RUNNING ? "not ready yet" : w.status().label()
                            + (w.reason() == null ? "" : ": " + w.reason())) + ")");
                }
            }
            throw new CohortException("group '" + group.name() + "' is not ready after " + timeout.toMillis()
                    + " ms; still waiting for " + String.join(", ", waiting));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException("interrupted while awaiting group '" + group.name() + "'", e);
        }
    }

    @Override
    public java.util.concurrent.CompletableFuture<Rendezvous> ready() {
        return group.ready().copy();
    }

    @Override
    public String toString() {
        return "group " + group.name() + " " + group.members();
    }
}
