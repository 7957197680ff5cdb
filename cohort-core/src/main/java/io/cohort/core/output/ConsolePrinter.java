package io.cohort.core.output;

import io.cohort.OutputLine;
import io.cohort.Worker;
import io.cohort.core.WorkerEvent;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one writer to the session's console: whole lines, each worker's in order, prefixed with the
 * worker's id ({@code [w1] }, or {@code [w1 err] } for stderr); the lines a backend read at once
 * are printed with one write. Lines wait in a queue bounded in
 * lines and in characters ({@value #MAX_QUEUED_CHARS}, about 16 MiB of text), so a slow console
 * slows the workers' pipes instead of filling the session's memory, even with lines of a megabyte.
 */
public final class ConsolePrinter implements Consumer<WorkerEvent>, AutoCloseable {
    private static final String END = "\u0000end";
    private final PrintStream out;
    /** The most characters that wait for the console at once. */
    static final int MAX_QUEUED_CHARS = 8 << 20;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(8192);
    /** Characters that may still be queued; a line takes its length's worth until it is printed. */
    private final Semaphore room = new Semaphore(MAX_QUEUED_CHARS);
    private final Thread thread;

    public ConsolePrinter(PrintStream out, String sessionId) {
        this.out = out;
        this.thread = new Thread(this::run, "cohort-console-" + sessionId);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    @Override
    public void accept(WorkerEvent event) {
        String line = format(event);
        if (line != null) {
            print(line);
        }
    }

    /** A line of the session's own (progress, notices), in order with the workers' lines. */
    public void print(String line) {
        try {
            room.acquire(cost(line));
            lines.put(line);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int cost(String line) {
        return Math.min(MAX_QUEUED_CHARS, Math.max(1, line.length()));
    }

    /** What the console shows for an event (lines joined by line ends, without a last one), or null for nothing. */
    static String format(WorkerEvent event) {
        if (event instanceof WorkerEvent.Output o) {
            String prefix = "[" + o.workerId() + (o.stream() == OutputLine.Stream.STDERR ? " err] " : "] ");
            List<String> texts = o.texts();
            if (texts.size() == 1) {
                return prefix + texts.get(0);
            }
            int size = 0;
            for (String t : texts) {
                size += prefix.length() + t.length() + 1;
            }
            StringBuilder b = new StringBuilder(size);
            for (String t : texts) {
                if (b.length() > 0) {
                    b.append('\n');
                }
                b.append(prefix).append(t);
            }
            return b.toString();
        }
        Worker w = ((WorkerEvent.Changed) event).worker();
        return switch (w.status()) {
            case SCHEDULING -> w.reason() == null ? null : "[" + w.id() + "] -- waiting: " + w.reason();
            case RUNNING -> "[" + w.id() + "] -- running on " + w.ipAddress() + " (pid " + w.pid() + ")";
            case SUCCEEDED -> "[" + w.id() + "] -- succeeded in " + seconds(w);
            case FAILED -> "[" + w.id() + "] -- failed" + (w.exitCode() == null ? "" : " with exit code " + w.exitCode())
                    + ": " + w.reason();
            case STOPPED -> "[" + w.id() + "] -- stopped: " + w.reason();
            default -> null;
        };
    }

    private static String seconds(Worker w) {
        return String.format("%.2f s", w.duration().toMillis() / 1000.0);
    }

    private void run() {
        try {
            while (true) {
                String line = lines.take();
                if (line == END) {
                    out.flush();
                    return;
                }
                write(line);
                room.release(cost(line));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Prints one line; a console that throws is reported and the next line is tried, so workers never block on it. */
    private void write(String line) {
        try {
            out.println(line);
            if (lines.isEmpty()) {
                out.flush();
            }
        } catch (RuntimeException e) {
            io.cohort.core.backend.Background.report("printing a line on the session's console", e);
        }
    }

    /** Prints what is queued, then stops. */
    @Override
    public void close() {
        try {
            if (lines.offer(END, 5, TimeUnit.SECONDS)) {
                thread.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
