package io.cohort.local;

import io.cohort.CohortException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The session's orphan guard (see guard.sh): a small process in its own session whose stdin is a
 * pipe only this JVM writes. However the JVM ends, the pipe closes and the guard kills what is left
 * of the workers. While the JVM lives, it is told which process groups to watch.
 */
final class Guard implements AutoCloseable {
    private final Process process;
    private final OutputStream commands;

    private Guard(Process process) {
        this.process = process;
        this.commands = process.getOutputStream();
    }

    /** {@code netTag}: the tag of the session's bridge and network namespaces to delete at the end, or null. */
    static Guard start(Path sessionDirectory, String sessionId, Duration grace, List<Path> cgroupDirectories, String netTag) {
        Path script = sessionDirectory.resolve("guard.sh");
        try (InputStream in = Guard.class.getResourceAsStream("guard.sh")) {
            Files.write(script, in.readAllBytes());
            List<String> command = new ArrayList<>(List.of("setsid", "bash", script.toString(), sessionId,
                    String.format(java.util.Locale.ROOT, "%.3f", grace.toMillis() / 1000.0)));
            cgroupDirectories.forEach(d -> command.add(d.toString()));
            ProcessBuilder builder = new ProcessBuilder(command);
            if (netTag != null) {
                builder.environment().put("COHORT_GUARD_NET", netTag);
            }
            Process p = builder
                    .directory(sessionDirectory.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(sessionDirectory.resolve("guard.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
            return new Guard(p);
        } catch (IOException | NullPointerException e) {
            throw new CohortException("cannot start the session's orphan guard (bash and setsid are needed): " + e.getMessage(), e);
        }
    }

    synchronized void track(long processGroup) {
        send("track " + processGroup);
    }

    synchronized void untrack(long processGroup) {
        send("untrack " + processGroup);
    }

    private void send(String line) {
        try {
            commands.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            commands.flush();
        } catch (IOException e) {
            // The guard is gone: nothing else can be done from here; the session still stops its workers itself.
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Closes the pipe, as the JVM's death would, and waits for the guard's sweep to end. */
    @Override
    public synchronized void close() {
        try {
            commands.close();
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            // Already closed.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
