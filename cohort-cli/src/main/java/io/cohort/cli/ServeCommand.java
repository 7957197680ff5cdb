package io.cohort.cli;

import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cohort serve}: a session with no REPL, driven over its control plane (docs/session-api.md)
 * by the Python and R clients and by {@code cohort ps|logs|stop|attach}. It writes a connection file
 * and runs until it is closed, or until the process it is bound to ends, however that ends.
 */
final class ServeCommand {
    /** The connection file in every served session's directory. */
    static final String CONNECTION_FILE = "connection.json";

    private ServeCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        Long parentPid = null;
        boolean stdin = false;
        boolean print = false;
        Path connectionCopy = null;
        SessionOptions.Builder options = SessionOptions.builder();
        Iterator<String> it = args.iterator();
        while (it.hasNext()) {
            String a = it.next();
            switch (a) {
                case "--parent-pid" -> {
                    String v = RunCommand.value(it, a);
                    try {
                        parentPid = Long.parseLong(v);
                    } catch (NumberFormatException e) {
                        throw new Main.UsageException("--parent-pid takes a process id, got '" + v + "'");
                    }
                }
                case "--stdin" -> stdin = true;
                case "--print-connection" -> print = true;
                case "--connection-file" -> connectionCopy = Path.of(RunCommand.value(it, a)).toAbsolutePath();
                case "--id" -> options.setting("sessionId", RunCommand.value(it, a));
                default -> throw new Main.UsageException("unknown option '" + a + "'");
            }
        }
        ProcessHandle parent = null;
        if (parentPid != null) {
            long pid = parentPid;
            parent = ProcessHandle.of(pid).filter(ProcessHandle::isAlive).orElseThrow(() -> new IllegalStateException(
                    "--parent-pid: there is no process " + pid + "; give the pid of a running process"));
        }
        // Its stdout's first line is the connection (--print-connection): the dashboard's URL goes to stderr.
        options.setting("dashboard.print", "off");
        // Its clients (Python, R, notebooks) seldom launch Java code: no javac warm-up unless asked for.
        if (options.build().setting("java.warmUp", null) == null) {
            options.setting("java.warmUp", "off");
        }
        try (Session session = Session.open(options.build())) {
            err.println("[session " + session.id() + "] dashboard: " + session.controlPlaneUrl() + "/ui/?token="
                    + session.controlPlaneToken());
            Map<String, Object> connection = connection(session);
            Path file = session.directory().resolve(CONNECTION_FILE);
            try {
                Files.setPosixFilePermissions(session.directory(), PosixFilePermissions.fromString("rwx------"));
            } catch (IOException | UnsupportedOperationException e) {
                err.println("cohort serve: could not make " + session.directory() + " private: " + e.getMessage());
            }
            writePrivate(file, Json.write(connection));
            if (connectionCopy != null) {
                writePrivate(connectionCopy, Json.write(connection));
            }
            if (print) {
                out.println(Json.write(connection));
                out.flush();
            }
            if (parent != null) {
                parent.onExit().thenRun(session::close);
            }
            if (stdin) {
                watchStdin(session);
            }
            session.awaitClosed(Duration.ZERO);
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // The session's end is what counts; the file names a pid that is gone.
            }
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** What a client needs to reach the session: the fields of connection.json. */
    static Map<String, Object> connection(Session session) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", session.id());
        m.put("url", session.controlPlaneUrl());
        m.put("token", session.controlPlaneToken());
        m.put("pid", ProcessHandle.current().pid());
        m.put("directory", session.directory().toString());
        m.put("working_directory", session.workingDirectory().toString());
        m.put("master_ip", session.masterAddress());
        m.put("started_at", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        return m;
    }

    /** Closes the session when standard input ends: the parent held the pipe's other end, and it is gone. */
    private static void watchStdin(Session session) {
        Thread t = new Thread(() -> {
            try (InputStream in = System.in) {
                byte[] buf = new byte[512];
                while (in.read(buf) >= 0) {
                    // Whatever the parent writes is ignored; only the end matters.
                }
            } catch (IOException e) {
                // A broken pipe is an end too.
            }
            session.close();
        }, "cohort-serve-stdin");
        t.setDaemon(true);
        t.start();
    }

    /** Writes a file only its owner can read (it holds the session's token), in a folder only the owner can enter. */
    static void writePrivate(Path file, String text) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".connection", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, text + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
