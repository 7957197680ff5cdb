package io.cohort.core;

import io.cohort.Status;
import io.cohort.Worker;
import java.time.Instant;
import java.util.List;

/** The few ways a worker's description changes, each producing a new record. */
final class WorkerChanges {
    private WorkerChanges() {
    }

    static Worker status(Worker w, Status s) {
        return new Worker(w.id(), w.sessionId(), s, w.kernel(), w.runs(), w.cpu(), w.memoryGb(), w.gpus(),
                w.ipAddress(), w.appUrl(), w.pid(), w.createdAt(), w.startedAt(), w.finishedAt(), w.exitCode(),
                w.reason(), w.notes());
    }

    static Worker placed(Worker w, String ip, String appUrl, List<Integer> gpus, List<String> notes) {
        return new Worker(w.id(), w.sessionId(), w.status(), w.kernel(), w.runs(), w.cpu(), w.memoryGb(), gpus,
                ip, appUrl, w.pid(), w.createdAt(), w.startedAt(), w.finishedAt(), w.exitCode(), w.reason(), notes);
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
