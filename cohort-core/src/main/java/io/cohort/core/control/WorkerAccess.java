package io.cohort.core.control;

import java.util.List;
import java.util.function.Function;

/**
 * What a worker's own credential may do (docs/control-plane.md, "Credentials and TLS"), checked
 * before any route runs; the session's token may do everything. A worker acts only as itself: its own
 * agent routes, its own leases (every queue and result call is made as the credential's worker,
 * whatever X-Cohort-Worker says), the queues, results and snapshots the user allows, reading the
 * list of workers, its own output, and its own group's rendezvous. Everything that steers the session
 * (launching, stopping, awaiting, events, the session's own description, the dashboard and apps) is
 * the session's alone.
 */
final class WorkerAccess {
    private WorkerAccess() {
    }

    /**
     * Refuses (403) what worker {@code worker} may not do.
     *
     * @param groupOf a worker's group, or null when the session knows no such worker
     */
    static void check(String worker, Request r, WorkerSecurity security, Function<String, String> groupOf) {
        List<String> p = r.path;
        String header = r.header("X-Cohort-Worker");
        if (header != null && !header.isBlank() && !header.equals(worker)) {
            throw refused(worker, "speak as worker '" + header + "' (X-Cohort-Worker must be its own id or absent)");
        }
        if (p.size() < 2 || !p.get(0).equals("v1")) {
            throw refused(worker, r.method + " " + r.rawPath() + " (the dashboard and apps)");
        }
        boolean read = r.method.equals("GET");
        switch (p.get(1)) {
            case "agents" -> {
                if (p.size() >= 3 && !p.get(2).equals(worker)) {
                    throw refused(worker, "use the agent routes of worker '" + p.get(2) + "'");
                }
            }
            case "heartbeat" -> {
                // Extends the caller's own leases: always its own.
            }
            case "queues" -> {
                if (p.size() >= 3 && !security.allowsQueue(p.get(2))) {
                    throw refused(worker, "use queue '" + p.get(2) + "' (workerQueues allows " + security.queues() + ")");
                }
            }
            case "results" -> {
                String key = r.query("key") != null ? r.query("key") : String.join("/", p.subList(2, p.size()));
                boolean list = p.size() == 2 && r.query("key") == null;
                if (!list && !security.allowsResult(key)) {
                    throw refused(worker, "use result '" + key + "' (workerResults allows " + security.results() + ")");
                }
                if (list && !security.results().contains("*")) {
                    throw refused(worker, "list every result (workerResults allows only " + security.results() + ")");
                }
            }
            case "snapshots" -> {
                if (p.size() >= 3 && !security.allowsResult(p.get(2))) {
                    throw refused(worker, "use snapshot '" + p.get(2) + "' (workerResults allows " + security.results() + ")");
                }
                if (p.size() == 2 && !security.results().contains("*")) {
                    throw refused(worker, "list every snapshot (workerResults allows only " + security.results() + ")");
                }
            }
            case "workers" -> {
                // Read the list of workers (peers find each other this way), one worker, and its own output.
                boolean listOrOne = read && (p.size() == 2 || (p.size() == 3 && !p.get(2).equals("await") && !p.get(2).equals("stop")));
                boolean ownOutput = read && p.size() == 4 && p.get(2).equals(worker) && p.get(3).equals("output");
                if (!listOrOne && !ownOutput) {
                    throw refused(worker, r.method + " " + r.rawPath());
                }
            }
            case "groups" -> {
                boolean ownRendezvous = p.size() == 4 && p.get(3).equals("rendezvous") && p.get(2).equals(groupOf.apply(worker));
                boolean describeOwn = read && p.size() == 3 && p.get(2).equals(groupOf.apply(worker));
                if (!ownRendezvous && !describeOwn) {
                    throw refused(worker, r.method + " " + r.rawPath() + " (a worker reaches its own group's rendezvous only)");
                }
            }
            default -> throw refused(worker, r.method + " " + r.rawPath());
        }
    }

    private static HttpError refused(String worker, String what) {
        return new HttpError(403, "worker " + worker + "'s credential may not " + what + ": a worker's credential acts"
                + " only as itself (its own agent routes, leases, heartbeat and output; the queues, results and snapshots"
                + " that workerQueues and workerResults allow; reading the list of workers; its own group's rendezvous)."
                + " Everything else takes the session's token (docs/control-plane.md, \"Credentials and TLS\")");
    }
}
