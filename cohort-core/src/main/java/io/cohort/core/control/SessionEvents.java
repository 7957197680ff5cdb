package io.cohort.core.control;

import io.cohort.OutputLine;
import io.cohort.Worker;
import io.cohort.core.Json;
import io.cohort.core.WorkerEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
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

    /**
     * Output lines of one worker as the batch they came in: their events (and JSON) are made only
     * when a client reads them, so a worker's output costs this stream one entry per batch.
     *
     * @param firstId   the id of the first line's event
     * @param worker    the worker
     * @param err       true for stderr
     * @param firstLine the worker's line number of the first line
     * @param texts     the lines
     */
    private record Lines(long firstId, String worker, boolean err, long firstLine, List<String> texts) {
        long lastId() {
            return firstId + texts.size() - 1;
        }

        Event event(long id) {
            int i = (int) (id - firstId);
            StringBuilder b = Json.quote(new StringBuilder("{\"worker\":"), worker)
                    .append(",\"stream\":\"").append(err ? "err" : "out").append("\",\"text\":");
            String data = Json.quote(b, texts.get(i)).append(",\"line\":").append(firstLine + i).append('}').toString();
            return new Event(id, "output", worker, data);
        }

        /** The same lines from event {@code id} on. */
        Lines from(long id) {
            int i = (int) (id - firstId);
            return new Lines(id, worker, err, firstLine + i, List.copyOf(texts.subList(i, texts.size())));
        }

        static long cost(String text) {
            return text.length() + 128L;
        }
    }

    /** Kept events, oldest first: each an {@link Event} or {@link Lines}. */
    private final ArrayDeque<Object> kept = new ArrayDeque<>();
    private long keptEvents;
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
            synchronized (this) {
                if (closed) {
                    return;
                }
                long n = lines.getOrDefault(o.workerId(), 0L);
                Lines l = new Lines(lastId + 1, o.workerId(), o.stream() == OutputLine.Stream.STDERR, n, o.texts());
                lines.put(o.workerId(), n + o.texts().size());
                lastId = l.lastId();
                kept.addLast(l);
                keptEvents += o.texts().size();
                for (String t : o.texts()) {
                    keptBytes += Lines.cost(t);
                }
                trim();
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
            Object first = kept.peekFirst();
            long firstId = first == null ? 0 : first instanceof Lines l ? l.firstId() : ((Event) first).id();
            if (first != null && firstId > after + 1) {
                out.add(new Event(firstId - 1, "gap", null,
                        "{\"from\":" + (after + 1) + ",\"to\":" + (firstId - 1) + "}"));
                cursor = firstId - 1;
            }
            for (Object o : kept) {
                if (o instanceof Lines l) {
                    if (l.lastId() > cursor) {
                        long from = Math.max(cursor + 1, l.firstId());
                        // Whether a batch is wanted depends on its type and worker, the same for all its lines.
                        Event e = l.event(from);
                        if (wanted.test(e)) {
                            out.add(e);
                            for (long id = from + 1; id <= l.lastId(); id++) {
                                out.add(l.event(id));
                            }
                        }
                        cursor = l.lastId();
                    }
                    continue;
                }
                Event e = (Event) o;
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
        keptEvents++;
        keptBytes += data.length() + 64;
        trim();
        notifyAll();
    }

    /** Drops the oldest events (or the oldest lines of a batch) until what is kept is within bounds. */
    private void trim() {
        while (keptEvents > MAX_EVENTS || keptBytes > MAX_BYTES) {
            Object first = kept.removeFirst();
            if (first instanceof Event e) {
                keptEvents--;
                keptBytes -= e.data().length() + 64;
                continue;
            }
            Lines l = (Lines) first;
            int drop = 0;
            while (drop < l.texts().size() && (keptEvents > MAX_EVENTS || keptBytes > MAX_BYTES)) {
                keptBytes -= Lines.cost(l.texts().get(drop));
                keptEvents--;
                drop++;
            }
            if (drop < l.texts().size()) {
                kept.addFirst(l.from(l.firstId() + drop));
            }
        }
    }
}
