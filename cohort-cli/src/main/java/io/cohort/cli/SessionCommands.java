package io.cohort.cli;

import io.cohort.OutputLine;
import io.cohort.Worker;
import io.cohort.WorkerTable;
import io.cohort.core.remote.RemoteSession;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * {@code cohort ps}, {@code cohort logs [-f] WORKER} and {@code cohort stop WORKER...|--all}: a
 * running session's workers, seen and stopped from another terminal, over its session API.
 */
final class SessionCommands {
    private SessionCommands() {
    }

    /** {@code cohort ps [--all] [--session S]}: the running sessions (all with --all) and their workers. */
    static int ps(List<String> args, PrintStream out, PrintStream err) {
        boolean all = false;
        String named = null;
        for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
            String a = it.next();
            switch (a) {
                case "--all", "-a" -> all = true;
                case "--session" -> named = RunCommand.value(it, a);
                default -> throw new Main.UsageException("unknown option '" + a + "'");
            }
        }
        List<SessionLocator.Found> sessions = named != null ? List.of(SessionLocator.find(named, err)) : SessionLocator.all();
        int shown = 0;
        for (SessionLocator.Found s : sessions) {
            boolean alive = s.alive();
            if (!alive && !all) {
                continue;
            }
            shown++;
            out.printf("session %s  pid %d  %s  started %s%n  %s%n", s.id(), s.pid(), alive ? "running" : "ended (its process is gone)",
                    s.startedAt(), s.file().getParent());
            if (alive) {
                try (RemoteSession session = s.attach(null)) {
                    List<Worker> workers = session.list();
                    if (workers.isEmpty()) {
                        out.println("  no workers");
                    } else {
                        WorkerTable.render(workers).lines().forEach(l -> out.println("  " + l));
                    }
                } catch (RuntimeException e) {
                    out.println("  does not answer: " + e.getMessage());
                }
            }
        }
        if (shown == 0) {
            out.println("no running session under " + SessionLocator.home() + (all ? "" : " (--all lists ended ones too)"));
        }
        return 0;
    }

    /** {@code cohort logs [-f] [--session S] WORKER}: a worker's output; with -f, followed until it ends. */
    static int logs(List<String> args, PrintStream out, PrintStream err) {
        boolean follow = false;
        String named = null;
        String worker = null;
        for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
            String a = it.next();
            switch (a) {
                case "-f", "--follow" -> follow = true;
                case "--session" -> named = RunCommand.value(it, a);
                default -> {
                    if (a.startsWith("-") || worker != null) {
                        throw new Main.UsageException("unknown option '" + a + "'; usage: cohort logs [-f] [--session S] WORKER");
                    }
                    worker = a;
                }
            }
        }
        if (worker == null) {
            throw new Main.UsageException("name a worker: cohort logs [-f] WORKER ('cohort ps' lists them)");
        }
        try (RemoteSession session = SessionLocator.find(named, err).attach(null)) {
            long offset = 0;
            while (true) {
                RemoteSession.Chunk chunk = session.output(worker, offset, follow ? 30_000 : 0);
                for (OutputLine l : chunk.lines()) {
                    (l.stream() == OutputLine.Stream.STDERR ? err : out).println(l.text());
                }
                out.flush();
                offset = chunk.next();
                if (!follow || chunk.ended()) {
                    return 0;
                }
            }
        }
    }

    /** {@code cohort stop [--session S] WORKER...|--all}: stops workers and prints how each ended. */
    static int stop(List<String> args, PrintStream out, PrintStream err) {
        boolean all = false;
        String named = null;
        List<String> ids = new ArrayList<>();
        for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
            String a = it.next();
            switch (a) {
                case "--all", "-a" -> all = true;
                case "--session" -> named = RunCommand.value(it, a);
                default -> {
                    if (a.startsWith("-")) {
                        throw new Main.UsageException("unknown option '" + a + "'; usage: cohort stop [--session S] WORKER...|--all");
                    }
                    ids.add(a);
                }
            }
        }
        if (ids.isEmpty() == !all) {
            throw new Main.UsageException("name the workers to stop, or --all: cohort stop w1 w2 | cohort stop --all");
        }
        try (RemoteSession session = SessionLocator.find(named, err).attach(null)) {
            for (Worker w : session.stop(ids)) {
                out.println(w.id() + " " + w.status().label() + (w.reason() == null ? "" : " (" + w.reason() + ")"));
            }
        }
        return 0;
    }

    /** {@code cohort attach [--session S] [jshell options]}: JShell whose default session is a running one. */
    static int attach(List<String> args, PrintStream err) {
        String named = null;
        List<String> rest = new ArrayList<>();
        for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
            String a = it.next();
            if (a.equals("--session")) {
                named = RunCommand.value(it, a);
            } else {
                rest.add(a);
            }
        }
        SessionLocator.Found found = SessionLocator.find(named, err);
        Path file = found.file();
        if (file == null) {
            // Inside a worker: its session, named by COHORT_API and COHORT_TOKEN.
            file = privateCopy(found);
        }
        System.setProperty("cohort.attach", file.toString());
        err.println("cohort: attached to session " + found.id() + "; /exit detaches (the session goes on)");
        return ShellCommand.run(rest, err);
    }

    private static Path privateCopy(SessionLocator.Found found) {
        try {
            Path dir = Files.createTempDirectory("cohort-attach");
            Path file = dir.resolve(ServeCommand.CONNECTION_FILE);
            ServeCommand.writePrivate(file, io.cohort.core.Json.write(java.util.Map.of("id", found.id(), "url", found.url(),
                    "token", found.token())));
            file.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return file;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
