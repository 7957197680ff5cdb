package io.cohort.local;

import io.cohort.worker.WorkerVariables;
import io.cohort.worker.internal.ProcTable;
import java.util.Set;
import java.util.TreeSet;

/**
 * For the benchmarks only (bench/FanOut), in the backend's package to reach its /proc reader: does
 * exactly the process-table work of {@code LocalWorker.members()}, which every worker's reaper runs
 * once when the worker exits (and stop/kill run once per round): read /proc/[pid]/stat of every
 * process, and /proc/[pid]/environ of every one that is not in the worker's session or group.
 */
public final class ProcScanProbe {
    private ProcScanProbe() {
    }

    /** One members() scan for a worker whose root has exited; returns how many processes it looked at. */
    public static int membersScan(String sessionId, String workerId, long root) {
        String sessionMark = WorkerVariables.COHORT_SESSION_ID + "=" + sessionId;
        String workerMark = WorkerVariables.COHORT_WORKER_ID + "=" + workerId;
        Set<Long> pids = new TreeSet<>();
        int seen = 0;
        for (ProcTable.Entry e : ProcTable.read()) {
            seen++;
            if (e.session() == root || e.processGroup() == root
                    || (ProcTable.hasVariable(e.pid(), workerMark) && ProcTable.hasVariable(e.pid(), sessionMark))) {
                pids.add(e.pid());
            }
        }
        pids.remove(ProcessHandle.current().pid());
        pids.removeIf(p -> ProcessHandle.of(p).isEmpty());
        return seen;
    }

    /** Only the stat half: what a scan costs without reading every process's environment. */
    public static int statScan() {
        return ProcTable.read().size();
    }
}
