package io.cohort.core.control;

import io.cohort.OutputLine;
import io.cohort.Worker;
import io.cohort.core.Json;
import io.cohort.core.WorkerEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The session's events, numbered, for clients that follow them ({@code GET /v1/events}): worker
 * changes, output lines (numbered per worker, as {@code /output} numbers them), queue progress, and
 * the session's end. The newest {@value #MAX_EVENTS} events, and at most {@value #MAX_BYTES} bytes of
 * them, are kept in memory, so a client that reconnects with the last id it saw misses nothing.
 *
 * <p>It listens on the session's event bus after the output log, so a line it numbers is already in
 * the worker's log file.
 */
public final class SessionEvents implements Consumer<WorkerEvent> {
    static final int MAX_EVENTS = 100_000;
    static final long MAX_BYTES = 64L << 20;

    /**
     * @param id     increases by one per event, from 1
     * @param type   worker, output, queue, gap or closed
     * @param worker the worker it concerns, or null
     * @param data   the JSON payload
     */
    public record Event(long id, String type, String worker, String data) {
    }

    private final ArrayDeque<Event> kept = new ArrayDeque<>();
    private final Map<String, Long> lines = new HashMap<>();
    /** Workers whose end has been published: a wait for their output ends. */
    private final java.util.Set<String> ended = new java.util.HashSet<>();
    private final Map<String, String> queues = new HashMap<>();
    private final Function<Worker, Map<String, Object>> describe;
    private long lastId;
    private long keptBytes;
    private boolean closed;

    /** @param describe a worker's description, as the session API writes it */
    public SessionEvents(Function<Worker, Map<String, Object>> describe) {
        this.describe = describe;
    }

    @Override
    public void accept(WorkerEvent event) {
        if (event instanceof WorkerEvent.Output o) {
            // {"worker":..,"stream":..,"text":..,"line":N}, as Json.write of that map would give, built by hand:
            // this runs for every line a worker writes.
            StringBuilder head = Json.quote(new StringBuilder("{\"worker\":"), o.workerId())
                    .append(",\"stream\":\"").append(o.stream() == OutputLine.Stream.STDERR ? "err" : "out").append("\",\"text\":");
            String[] data = new String[o.texts().size()];
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < data.length; i++) {
                b.setLength(0);
                data[i] = Json.quote(b.append(head), o.texts().get(i)).append(",\"line\":").toString();
            }
            synchronized (this) {
                long n = lines.getOrDefault(o.workerId(), 0L);
                for (String d : data) {
                    append("output", o.workerId(), d + (n++) + "}");
                }
                lines.put(o.workerId(), n);
                notifyAll();
            }
        } else if (event instanceof WorkerEvent.Changed c) {
            String data = Json.write(describe.apply(c.worker()));
            synchronized (this) {
                if (c.worker().status().isFinal()) {
                    ended.add(c.worker().id());
                }
                append("worker", c.worker().id(), data);
            }
        }
    }

    /** A queue's progress, as {@code GET /v1/queues/NAME} answers it; published only when it changed. */
    public synchronized void queue(io.cohort.QueueProgress progress) {
        String progressJson = Json.write(QueueRoutes.progress(progress));
        if (!progressJson.equals(queues.put(progress.queue(), progressJson))) {
            append("queue", null, progressJson);
        }
    }

    /** The session ended: the last event; streams end after it. */
    public synchronized void close() {
        if (!closed) {
            append("closed", null, "{}");
            closed = true;
        }
    }

    /** The id of the newest event. */
    public synchronized long lastId() {
        return lastId;
    }

    /** How many output lines the worker has written so far. */
    public synchronized long lines(String workerId) {
        return lines.getOrDefault(workerId, 0L);
    }

    /**
     * Waits up to {@code waitMillis} until the worker has more than {@code offset} lines, or has
     * ended, or the session closed. It looks only at what this stream has seen: it never calls into
     * the session, whose registry publishes to this stream while holding its own lock.
     */
    public synchronized void awaitLines(String workerId, long offset, long waitMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + waitMillis;
        while (lines(workerId) <= offset && !closed && !ended.contains(workerId)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            wait(left);
        }
    }

    /**
     * The events after {@code after} that {@code wanted} accepts, waiting up to {@code waitMillis}
     * for one to come. Events no longer kept come as one {@code gap} event. Empty after the wait, or
     * when the stream has ended ({@link #ended(long)}).
     */
    public synchronized List<Event> after(long after, Predicate<Event> wanted, long waitMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + waitMillis;
        while (true) {
            List<Event> out = new ArrayList<>();
            long cursor = after;
            Event first = kept.peekFirst();
            if (first != null && first.id() > after + 1) {
                out.add(new Event(first.id() - 1, "gap", null,
                        "{\"from\":" + (after + 1) + ",\"to\":" + (first.id() - 1) + "}"));
                cursor = first.id() - 1;
            }
            for (Event e : kept) {
                if (e.id() > cursor) {
                    cursor = e.id();
                    if (wanted.test(e) || e.type().equals("closed")) {
                        out.add(e);
                    }
                }
            }
            if (!out.isEmpty()) {
                return out;
            }
            if (cursor > after) {
                // Events came that this client does not want: nothing to send, but it has seen them.
                return List.of(new Event(cursor, "skip", null, null));
            }
            long left = deadline - System.currentTimeMillis();
            if (closed || left <= 0) {
                return List.of();
            }
            wait(left);
        }
    }

    /** True once the session has ended and the client has seen its last event. */
    public synchronized boolean ended(long seen) {
        return closed && seen >= lastId;
    }

    private void append(String type, String worker, String data) {
        if (closed) {
            return;
        }
        Event e = new Event(++lastId, type, worker, data);
        kept.addLast(e);
        keptBytes += data.length() + 64;
        while (kept.size() > MAX_EVENTS || keptBytes > MAX_BYTES) {
            keptBytes -= kept.removeFirst().data().length() + 64;
        }
        if (!"output".equals(type)) {
            notifyAll(); // output lines wake their waiters once per batch
        }
    }
}
