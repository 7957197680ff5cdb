package io.cohort.cli;

import io.cohort.CohortException;
import io.cohort.SessionOptions;
import io.cohort.core.Json;
import io.cohort.core.remote.RemoteSession;
import io.cohort.worker.WorkerVariables;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Finds a running session for {@code cohort ps|logs|stop|attach}: named (an id, a session directory
 * or a connection file), or the one inside whose worker this runs ({@code COHORT_API}), or the only
 * (else the newest) live session under the sessions' home. See docs/session-api.md.
 */
final class SessionLocator {
    /**
     * A session's connection file, as {@code cohort serve} writes it.
     *
     * @param id        the session's id
     * @param url       its control plane
     * @param token     its token
     * @param pid       the process serving it, or 0 when unknown
     * @param file      the connection file, or null for a session named by COHORT_API
     * @param startedAt when it started, as written
     */
    record Found(String id, String url, String token, long pid, Path file, String startedAt) {
        boolean alive() {
            return pid == 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }

        RemoteSession attach(PrintStream console) {
            return new RemoteSession(url, token, console);
        }
    }

    private SessionLocator() {
    }

    static Path home() {
        return SessionOptions.builder().build().home();
    }

    /** Every session under the home that has a connection file, newest first. */
    static List<Found> all() {
        List<Found> out = new ArrayList<>();
        Path home = home();
        if (!Files.isDirectory(home)) {
            return out;
        }
        try (var dirs = Files.list(home)) {
            for (Path dir : dirs.toList()) {
                Path file = dir.resolve(ServeCommand.CONNECTION_FILE);
                if (Files.isRegularFile(file)) {
                    try {
                        out.add(read(file));
                    } catch (CohortException e) {
                        // Half-written or not ours: not a session to list.
                    }
                }
            }
        } catch (IOException e) {
            throw new CohortException("cannot list " + home + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(Found::startedAt, Comparator.nullsFirst(Comparator.naturalOrder())).reversed());
        return out;
    }

    /** The session named by {@code name} (or COHORT_SESSION), else the worker's own, else the only or newest live one. */
    static Found find(String name, PrintStream err) {
        String named = name != null ? name : System.getenv("COHORT_SESSION");
        if (named != null && !named.isBlank()) {
            Path p = Path.of(named);
            Path file = Files.isRegularFile(p) ? p : Files.isDirectory(p) ? p.resolve(ServeCommand.CONNECTION_FILE)
                    : home().resolve(named).resolve(ServeCommand.CONNECTION_FILE);
            if (!Files.isRegularFile(file)) {
                throw new CohortException("no running session '" + named + "': " + file + " does not exist (a session's"
                        + " connection file is there while 'cohort serve' runs). 'cohort ps' lists the running sessions");
            }
            return live(read(file));
        }
        String api = System.getenv(WorkerVariables.COHORT_API);
        String token = System.getenv(WorkerVariables.COHORT_TOKEN);
        if (api != null && token != null) {
            return new Found(System.getenv().getOrDefault(WorkerVariables.CDSW_MASTER_ID, "?"), api, token, 0, null, null);
        }
        List<Found> live = all().stream().filter(Found::alive).toList();
        if (live.isEmpty()) {
            throw new CohortException("no running session under " + home() + "; start one with 'cohort serve' (or from"
                    + " Python with import cdsw, from R with launch.workers), or name one with --session ID|DIR");
        }
        if (live.size() > 1) {
            err.println("cohort: " + live.size() + " sessions are running; using the newest, " + live.get(0).id()
                    + " (others: " + live.subList(1, live.size()).stream().map(Found::id).toList() + "); choose with --session ID");
        }
        return live.get(0);
    }

    private static Found live(Found f) {
        if (!f.alive()) {
            throw new CohortException("session " + f.id() + " has ended (its process " + f.pid() + " is gone); 'cohort ps'"
                    + " lists the running sessions, and 'cohort resume " + f.file().getParent() + "' carries on with its queues");
        }
        return f;
    }

    static Found read(Path file) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = Json.MAPPER.readValue(Files.readString(file), Map.class);
            Object pid = m.get("pid");
            return new Found(String.valueOf(m.get("id")), String.valueOf(m.get("url")), String.valueOf(m.get("token")),
                    pid instanceof Number n ? n.longValue() : 0, file, (String) m.get("started_at"));
        } catch (IOException | RuntimeException e) {
            throw new CohortException("cannot read the connection file " + file + ": " + e.getMessage(), e);
        }
    }
}
