package io.cohort.core.output;

import io.cohort.CohortException;
import io.cohort.OutputLine;
import io.cohort.core.PrivateFiles;
import io.cohort.core.WorkerEvent;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps every worker's output on disk: {@code <session>/workers/<id>/output.log}, one line per line
 * written, after a marker of its stream ({@code "out | "} or {@code "err | "}), flushed as it comes.
 */
public final class OutputLog implements Consumer<WorkerEvent>, AutoCloseable {
    static final String OUT = "out | ";
    static final String ERR = "err | ";
    private final Path sessionDirectory;
    private final Map<String, BufferedWriter> writers = new ConcurrentHashMap<>();

    public OutputLog(Path sessionDirectory) {
        this.sessionDirectory = sessionDirectory;
    }

    public Path file(String workerId) {
        return sessionDirectory.resolve("workers").resolve(workerId).resolve("output.log");
    }

    @Override
    public void accept(WorkerEvent event) {
        if (event instanceof WorkerEvent.Output o) {
            OutputLine line = o.line();
            BufferedWriter w = writers.computeIfAbsent(line.workerId(), this::open);
            synchronized (w) {
                try {
                    w.write(line.stream() == OutputLine.Stream.STDERR ? ERR : OUT);
                    w.write(line.text());
                    w.newLine();
                    w.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException("could not append to " + file(line.workerId()), e);
                }
            }
        } else if (event instanceof WorkerEvent.Changed c && c.worker().status().isFinal()) {
            BufferedWriter w = writers.remove(c.worker().id());
            closeQuietly(w);
        }
    }

    /** Creates the worker's (empty) log, so it exists even for a silent worker. */
    public void create(String workerId) {
        writers.computeIfAbsent(workerId, this::open);
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

    private BufferedWriter open(String workerId) {
        Path f = file(workerId);
        try {
            PrivateFiles.file(f);
            return Files.newBufferedWriter(f, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create " + f, e);
        }
    }

    private static void closeQuietly(BufferedWriter w) {
        if (w != null) {
            synchronized (w) {
                try {
                    w.close();
                } catch (IOException ignored) {
                    // Nothing left to write.
                }
            }
        }
    }

    @Override
    public void close() {
        writers.values().forEach(OutputLog::closeQuietly);
        writers.clear();
    }
}
