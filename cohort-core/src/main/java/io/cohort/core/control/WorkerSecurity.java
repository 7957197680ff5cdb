package io.cohort.core.control;

import io.cohort.SessionOptions;
import io.cohort.core.backend.BackendContext;
import java.util.Arrays;
import java.util.List;

/**
 * How the control plane protects itself from workers on other hosts (docs/control-plane.md,
 * "Credentials and TLS"): when {@link #on}, workers reach it over TLS with a certificate the session
 * makes (pinned by its fingerprint, COHORT_TLS_PIN) and each holds a credential of its own that acts
 * only as itself; otherwise every worker holds the session's token over plain HTTP, as local workers do.
 *
 * @param on      whether workers get TLS and their own credentials (workerSecurity: auto, on or off;
 *                auto is on exactly when the backend's workers may run on other hosts)
 * @param queues  the queues a worker's credential may use (workerQueues: names, NAME* prefixes, or *)
 * @param results the results and snapshots a worker's credential may read and write (workerResults: as queues)
 */
public record WorkerSecurity(boolean on, List<String> queues, List<String> results) {
    /** Today's behaviour: the session's token everywhere, plain HTTP. */
    public static final WorkerSecurity OFF = new WorkerSecurity(false, List.of("*"), List.of("*"));

    public WorkerSecurity {
        queues = List.copyOf(queues);
        results = List.copyOf(results);
    }

    /** Reads workerSecurity, workerQueues and workerResults; {@code remote}: the backend's workersOnOtherHosts(). */
    public static WorkerSecurity from(SessionOptions o, boolean remote) {
        String mode = o.setting("workerSecurity", "auto").strip();
        boolean on = switch (mode) {
            case "auto" -> remote;
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(BackendContext.where("workerSecurity") + " must be auto (TLS and"
                    + " per-worker credentials when workers run on other hosts), on or off, got '" + mode + "'");
        };
        return new WorkerSecurity(on, names(o, "workerQueues"), names(o, "workerResults"));
    }

    private static List<String> names(SessionOptions o, String key) {
        List<String> names = Arrays.stream(o.setting(key, "*").split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        for (String n : names) {
            if (n.indexOf('*') >= 0 && n.indexOf('*') != n.length() - 1) {
                throw new IllegalArgumentException(BackendContext.where(key) + " lists names separated by commas, each a"
                        + " name, a prefix ending in * (runs-*), or * for all; got '" + n + "'");
            }
        }
        return names;
    }

    /** Whether a worker's credential may use queue {@code name}. */
    boolean allowsQueue(String name) {
        return allows(queues, name);
    }

    /** Whether a worker's credential may read and write the result or snapshot {@code name}. */
    boolean allowsResult(String name) {
        return allows(results, name);
    }

    private static boolean allows(List<String> patterns, String name) {
        for (String p : patterns) {
            if (p.endsWith("*") ? name.startsWith(p.substring(0, p.length() - 1)) : p.equals(name)) {
                return true;
            }
        }
        return false;
    }
}
