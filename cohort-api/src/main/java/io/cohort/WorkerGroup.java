package io.cohort;

import java.time.Duration;
import java.util.List;

/**
 * A named set of workers launched together, possibly in several roles (a head and its workers),
 * that find each other through one rendezvous. Its handle lists, awaits and stops only its members.
 * See docs/groups.md.
 */
public interface WorkerGroup {
    /** Its name. */
    String name();

    /** Its members' current descriptions, by rank. */
    List<Worker> workers();

    /** As {@link Session#await}, over its members only. */
    AwaitResult await(boolean waitForCompletion, Duration timeout);

    /** Stops its members (politely, then by force after the grace); returns them ended. */
    List<Worker> stop();

    /**
     * Waits until the group is ready: every member runs and every service member passed its
     * readiness check; returns the rendezvous. Throws {@link CohortException} naming the member when
     * one ended first, or when the timeout (zero = none) passes.
     */
    Rendezvous awaitReady(Duration timeout);

    /**
     * The rendezvous as a future: completed when the group is ready, failed (with a
     * {@link CohortException} naming the member) when a member ends first.
     */
    java.util.concurrent.CompletableFuture<Rendezvous> ready();
}
