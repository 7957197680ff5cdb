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
        return new Worker(w.id(), w.sessionId(), w.status(), w.kernel(), w.runs(), w.cpu(), w.memoryGb(), w.gpus(),
                w.ipAddress(), w.appUrl(), w.pid(), w.createdAt(), w.startedAt(), w.finishedAt(), w.exitCode(), why, w.notes());
    }

    /** Placed by its backend: it is starting. */
    static Worker placed(Worker w, String ip, String appUrl, List<Integer> gpus, List<String> notes) {
        Status s = w.status() == Status.SCHEDULING ? Status.STARTING : w.status();
        return new Worker(w.id(), w.sessionId(), s, w.kernel(), w.runs(), w.cpu(), w.memoryGb(), gpus,
                ip, appUrl, w.pid(), w.createdAt(), w.startedAt(), w.finishedAt(), w.exitCode(), null, notes);
    }

    static Worker running(Worker w, long pid, Instant at) {
        return new Worker(w.id(), w.sessionId(), Status.RUNNING, w.kernel(), w.runs(), w.cpu(), w.memoryGb(), w.gpus(),
                w.ipAddress(), w.appUrl(), pid, w.createdAt(), at, null, null, null, w.notes());
    }

    static Worker ended(Worker w, Status s, Integer exitCode, String reason, Instant at) {
        return new Worker(w.id(), w.sessionId(), s, w.kernel(), w.runs(), w.cpu(), w.memoryGb(), w.gpus(),
                w.ipAddress(), w.appUrl(), w.pid(), w.createdAt(), w.startedAt(), at, exitCode, reason, w.notes());
    }
}
