package io.cohort.core.output;

import io.cohort.CohortException;
import io.cohort.OutputLine;
import io.cohort.core.PrivateFiles;
import io.cohort.core.WorkerEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps every worker's output on disk: {@code <session>/workers/<id>/output.log}, one line per line
 * written, after a marker of its stream ({@code "out | "} or {@code "err | "}), written as it comes:
 * each batch of lines a backend read at once is one write.
 *
 * <p>A log that cannot be written (the disk is full, or the folder went away) never stops the
 * worker or its console: the session says so once, with the file and the reason, and the lines go
 * on to the console. Each later line tries again; when the write succeeds the log resumes with a
 * line that says how many lines it misses ({@link #GAP}), so a reader of the log knows. Lines are
 * written whole or not at all: a write cut short by a full disk is cut back off the file.
 */
public final class OutputLog implements Consumer<WorkerEvent>, AutoCloseable {
    static final String OUT = "out | ";
    static final String ERR = "err | ";
    /** The start of the line that marks lines missing from a log, e.g. "err | cohort: 12 lines ...". */
    public static final String GAP = ERR + "cohort: ";
    private static final System.Logger LOG = System.getLogger("io.cohort");
    private final Path sessionDirectory;
    private final Map<String, WorkerLog> logs = new ConcurrentHashMap<>();

    public OutputLog(Path sessionDirectory) {
        this.sessionDirectory = sessionDirectory;
    }

    public Path file(String workerId) {
        return sessionDirectory.resolve("workers").resolve(workerId).resolve("output.log");
    }

    @Override
    public void accept(WorkerEvent event) {
        if (event instanceof WorkerEvent.Output o) {
            logs.computeIfAbsent(o.workerId(), id -> new WorkerLog(file(id))).append(o.stream(), o.texts());
        } else if (event instanceof WorkerEvent.Changed c && c.worker().status().isFinal()) {
            WorkerLog log = logs.remove(c.worker().id());
            if (log != null) {
                log.close();
            }
        }
    }

    /** Creates the worker's (empty) log, so it exists even for a silent worker. */
    public void create(String workerId) {
        WorkerLog log = logs.computeIfAbsent(workerId, id -> new WorkerLog(file(id)));
        synchronized (log) {
            if (log.channel == null && !log.open()) {
                throw new CohortException("cannot create " + log.file + ": " + log.failure
                        + " (free space or fix the session folder's permissions, then launch again)");
            }
        }
    }

    public List<OutputLine> read(String workerId) {
        Path f = file(workerId);
        if (!Files.exists(f)) {
            return List.of();
        }
        try {
            List<OutputLine> lines = new ArrayList<>();
            for (String raw : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                boolean err = raw.startsWith(ERR);
                lines.add(new OutputLine(workerId, err ? OutputLine.Stream.STDERR : OutputLine.Stream.STDOUT,
                        raw.substring(Math.min(raw.length(), OUT.length()))));
            }
            return lines;
        } catch (IOException e) {
            throw new CohortException("could not read " + f + ": " + e.getMessage(), e);
        }
    }

    /** One worker's log file, and the lines it misses since a write failed. */
    private static final class WorkerLog {
        final Path file;
        FileChannel channel;
        /** The file's length after the last whole line. */
        long length;
        /** Lines not written since the log last failed; 0 when it is whole. */
        long missing;
        String failure;

        WorkerLog(Path file) {
            this.file = file;
        }

        /** The lines, in one write: all of them or, when the disk is full, none. */
        synchronized void append(OutputLine.Stream stream, List<String> lines) {
            if (channel == null && !open()) {
                missed(failure, lines.size());
                return;
            }
            String marker = stream == OutputLine.Stream.STDERR ? ERR : OUT;
            int size = 0;
            for (String l : lines) {
                size += l.length() + marker.length() + 1;
            }
            StringBuilder text = new StringBuilder(size + (missing > 0 ? 200 : 0));
            if (missing > 0) {
                text.append(GAP).append(missing).append(missing == 1 ? " line" : " lines")
                        .append(" of this worker's output are missing here: the log could not be written (")
                        .append(failure).append("); they went to the session's console only\n");
            }
            for (String l : lines) {
                text.append(marker).append(l).append('\n');
            }
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            try {
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                length += bytes.limit();
                if (missing > 0) {
                    LOG.log(System.Logger.Level.INFO, "cohort: " + file + " is written again; it misses " + missing
                            + " lines, marked in it");
                    missing = 0;
                }
            } catch (IOException e) {
                try {
                    // Not half a line: cut back what part of it went in (cutting needs no space).
                    channel.truncate(length);
                } catch (IOException ignored) {
                    // The file is gone or broken: reopened on the next line.
                    closeChannel();
                }
                missed(reason(e), lines.size());
            }
        }

        private void missed(String why, int lines) {
            if (missing == 0) {
                LOG.log(System.Logger.Level.WARNING, "cohort: cannot write " + file + ": " + why + ". The worker goes"
                        + " on and its lines still reach the console; the log resumes, with a note of what it misses, once"
                        + " it can be written again (free space on that disk).");
            }
            failure = why;
            missing += lines;
        }

        /** Opens the file for appending; false (with the reason kept) when it cannot be. */
        boolean open() {
            try {
                PrivateFiles.file(file);
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                length = channel.size();
                return true;
            } catch (IOException e) {
                failure = reason(e);
                return false;
            } catch (java.io.UncheckedIOException e) {
                failure = reason(e.getCause());
                return false;
            }
        }

        synchronized void close() {
            closeChannel();
        }

        private void closeChannel() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // Nothing left to write.
                }
                channel = null;
            }
        }

        private static String reason(IOException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return m.contains("No space left") ? "the disk is full: " + m : m;
        }
    }

    @Override
    public void close() {
        logs.values().forEach(WorkerLog::close);
        logs.clear();
    }
}
