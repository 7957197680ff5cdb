package io.cohort;

import java.util.List;

/**
 * What an await found: the workers that reached the wanted state, and those that did not
 * (failed, stopped, or still short of it when the time ran out). Both lists are in id order.
 */
public record AwaitResult(List<Worker> workers, List<Worker> failures) {
    public AwaitResult {
        workers = List.copyOf(workers);
        failures = List.copyOf(failures);
    }

    /** True when every awaited worker reached the wanted state. */
    public boolean allReached() {
        return failures.isEmpty();
    }
}
