package io.cohort.core;

import io.cohort.Status;
import io.cohort.Worker;
import java.time.Instant;
import java.util.List;

/** The few ways a worker's description changes, each producing a new record. */
final class WorkerChanges {
    private WorkerChanges() {
    }

    /** Still waiting to be placed, for this reason (shown as its reason until it runs). */
    static Worker waiting(Worker w, String why) {
        if (w.status() != Status.SCHEDULING) {
            return w;
        }
        return w.withStatus(w.status(), why);
    }

    /** Placed by its backend: it is starting. */
    static Worker placed(Worker w, String ip, String appUrl, List<Integer> gpus, List<String> notes) {
        Status s = w.status() == Status.SCHEDULING ? Status.STARTING : w.status();
        return w.withPlacement(s, ip, appUrl, gpus, notes);
    }

    static Worker running(Worker w, long pid, Instant at) {
        return w.withStart(pid, at);
    }

    static Worker ended(Worker w, Status s, Integer exitCode, String reason, Instant at) {
        return w.withEnd(s, exitCode, reason, at);
    }
}
