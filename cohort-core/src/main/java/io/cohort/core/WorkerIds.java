package io.cohort.core;

import io.cohort.Worker;

/** How the API's calls name workers: a {@link Worker} or its id. */
public final class WorkerIds {
    private WorkerIds() {
    }

    /** The id of a Worker, or the string given; anything else is refused with what is accepted. */
    public static String idOf(Object workerOrId) {
        if (workerOrId instanceof Worker w) {
            return w.id();
        }
        if (workerOrId instanceof CharSequence s) {
            return s.toString();
        }
        throw new IllegalArgumentException("workers are named by a Worker or its id (a string such as \"w1\"), got "
                + (workerOrId == null ? "null" : workerOrId.getClass().getSimpleName() + " " + workerOrId));
    }
}
