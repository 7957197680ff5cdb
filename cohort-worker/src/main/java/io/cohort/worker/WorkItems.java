package io.cohort.worker;

import io.cohort.worker.internal.ControlPlaneClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * A queue as a worker sees it: iterate to take items; an item is acknowledged when the loop body
 * returns and the next one is asked for; the loop ends when the queue is closed and empty.
 *
 * <pre>{@code
 * for (Item item : Cohort.queue("params")) { ... }          // an exception ends the worker; the item is failed
 * Cohort.queue("params").forEach(item -> { ... });          // an exception fails the item; the loop goes on
 * }</pre>
 */
public final class WorkItems implements Iterable<Item> {
    private static final int WAIT_MS = 30_000;
    private final ControlPlaneClient client;
    private final String name;
    private final String path;
    private int batch = 1;
    private boolean asyncAck;

    WorkItems(ControlPlaneClient client, String name) {
        this.client = client;
        this.name = name;
        this.path = "/v1/queues/" + ControlPlaneClient.segment(name);
    }

    /** Takes up to n items per request (acknowledging the last batch in the same request). */
    public WorkItems batch(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + n);
        }
        this.batch = n;
        return this;
    }

    /**
     * Acknowledges without waiting: the take that carries the last item's acknowledgement is answered
     * without waiting for it to be stored ({@code "ack_wait": false}), so the next item does not wait
     * for a commit. The loop's end still means stored: the answer that ends it waits for every
     * acknowledgement this worker sent. Until then, a crash of the session makes the latest finished
     * items ready again (done twice, as at-least-once allows); by default each take's answer also
     * confirms that the items before it are stored.
     */
    public WorkItems asyncAck() {
        this.asyncAck = true;
        return this;
    }

    /** Adds an item (a crawler adding a link it found). */
    public void put(Object value) {
        client.callJson("POST", path + "/items", "{\"items\":[" + Json.write(value) + "]}", null, 60_000);
    }

    /** Adds an item unless one with the same key was ever added to this queue; true if added. */
    public boolean putUnique(String key, Object value) {
        String r = client.callJson("POST", path + "/items", "{\"items\":[" + Json.write(value) + "],\"keys\":["
                + Json.write(key) + "]}", null, 60_000);
        Object added = ((Map<?, ?>) Json.parse(r)).get("added");
        return added instanceof Number n && n.intValue() == 1;
    }

    /** Marks an item failed with an error; it is retried, or dead-lettered after too many attempts. */
    public void fail(Item item, String error) {
        client.callJson("POST", path + "/fail", "{\"id\":" + item.id() + ",\"error\":" + Json.write(error) + "}", null, 60_000);
    }

    /** Runs the action for every item; an exception fails that item (with its stack trace) and the loop goes on. */
    @Override
    public void forEach(Consumer<? super Item> action) {
        Taker taker = new Taker();
        while (taker.hasNext()) {
            Item item = taker.next();
            try {
                action.accept(item);
            } catch (RuntimeException | Error e) {
                taker.current = null;
                Cohort.currentItem.set(null);
                fail(item, stackTrace(e));
            }
        }
    }

    @Override
    public Iterator<Item> iterator() {
        return new Taker();
    }

    static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        String s = w.toString();
        return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    }

    /** Takes batches; what was handed out before is acknowledged with the next take. */
    private final class Taker implements Iterator<Item> {
        private final ArrayDeque<Item> buffer = new ArrayDeque<>();
        private final List<Long> finished = new ArrayList<>();
        private Item current;
        private boolean done;

        @Override
        public boolean hasNext() {
            if (!buffer.isEmpty()) {
                return true;
            }
            if (done) {
                return false;
            }
            finishCurrent();
            while (buffer.isEmpty() && !done) {
                take();
            }
            return !buffer.isEmpty();
        }

        @Override
        public Item next() {
            if (!hasNext()) {
                throw new NoSuchElementException("queue '" + name + "' is closed and empty");
            }
            finishCurrent();
            current = buffer.poll();
            Cohort.currentItem.set(new Cohort.Current(WorkItems.this, current));
            return current;
        }

        private void finishCurrent() {
            if (current != null) {
                finished.add(current.id());
                current = null;
                Cohort.currentItem.set(null);
            }
        }

        @SuppressWarnings("unchecked")
        private void take() {
            String body = "{\"max\":" + batch + ",\"wait_ms\":" + WAIT_MS + ",\"ack\":" + Json.write(finished)
                    + (asyncAck ? ",\"ack_wait\":false}" : "}");
            String response = client.callJson("POST", path + "/take", body, null, WAIT_MS + 30_000);
            finished.clear();
            Map<String, Object> r = (Map<String, Object>) Json.parse(response);
            for (Object o : (List<Object>) r.get("items")) {
                Map<String, Object> m = (Map<String, Object>) o;
                buffer.add(new Item(((Number) m.get("id")).longValue(), ((Number) m.get("attempt")).intValue(),
                        Json.write(m.get("value"))));
            }
            done = Boolean.TRUE.equals(r.get("done"));
            Object lease = r.get("lease_ms");
            Cohort.startHeartbeat(client, lease instanceof Number n ? n.longValue() : 30_000);
        }
    }
}
