package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.cohort.QueueProgress;
import io.cohort.core.queue.QueueService;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/queues/...} and {@code /v1/heartbeat}: named leased queues for workers
 * (docs/control-plane.md, "Queues"): put, take (a long poll), ack, fail, close, progress.
 */
final class QueueRoutes {
    /** The longest a take may wait for an item before answering empty. */
    static final long MAX_WAIT_MS = 60_000;
    private final QueueService queues;

    QueueRoutes(QueueService queues) {
        this.queues = queues;
    }

    /** {@code POST /v1/heartbeat}: extends every lease the caller holds. */
    void heartbeat(Request r, List<String> p) throws IOException {
        r.expect("POST");
        queues.heartbeat(r.worker());
        r.answer(200, Map.of());
    }

    void route(Request r, List<String> p) throws IOException {
        if (p.size() == 2) {
            r.expect("GET");
            r.answer(200, queues.names());
            return;
        }
        String name = p.get(2);
        String action = p.size() > 3 ? p.get(3) : "";
        if (p.size() > 4) {
            throw new HttpError(404, "no such endpoint: " + r.rawPath());
        }
        switch (action) {
            case "" -> {
                r.expect("GET");
                r.answer(200, progress(queues.progress(name)));
            }
            case "dead" -> {
                r.expect("GET");
                r.answer(200, queues.deadLetters(name).stream().map(QueueRoutes::dead).toList());
            }
            case "items" -> {
                if (r.method.equals("GET")) {
                    page(r, name);
                } else {
                    put(r, name);
                }
            }
            case "take" -> take(r, name);
            case "ack" -> {
                r.expect("POST");
                List<Long> ids = Request.ids(r.json().get("ids"), "ids");
                ownLeases(r, name, ids);
                queues.awaitStored(queues.ack(name, r.worker(), ids));
                r.answer(200, Map.of());
            }
            case "fail" -> {
                r.expect("POST");
                JsonNode body = r.json();
                long id = Request.longField(body, "id", -1, 1, Long.MAX_VALUE);
                JsonNode error = body.get("error");
                ownLeases(r, name, List.of(id));
                queues.fail(name, r.worker(), id, error == null ? "failed (no reason given)" : error.asText());
                r.answer(200, Map.of());
            }
            case "close" -> {
                r.expect("POST");
                queues.close(name);
                r.answer(200, Map.of());
            }
            default -> throw new HttpError(404, "no such queue action '" + action + "' (items, take, ack, fail, close, dead)");
        }
    }

    /** {@code GET /v1/queues/NAME/items?after=ID&limit=N}: a page of the queue's items, by id, each with its state. */
    private void page(Request r, String name) {
        long after = queryNumber(r, "after", 0, 0, Long.MAX_VALUE);
        int limit = (int) queryNumber(r, "limit", 100, 1, 1000);
        List<QueueService.Listed> items = queues.page(name, after, limit);
        List<Map<String, Object>> out = new ArrayList<>();
        for (QueueService.Listed i : items) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", i.id());
            m.put("state", i.state());
            m.put("attempts", i.attempts());
            m.put("key", i.key());
            m.put("value", new RawValue(i.json()));
            out.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", out);
        // The "after" of the next page, or null when this one was the last.
        m.put("next", items.size() < limit ? null : items.get(items.size() - 1).id());
        r.answer(200, m);
    }

    private static long queryNumber(Request r, String name, long fallback, long min, long max) {
        String v = r.query(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new HttpError(400, name + " must be a whole number from " + min + " to " + max + ", got '" + v + "'");
    }

    private void put(Request r, String name) throws IOException {
        r.expect("POST");
        JsonNode body = r.json();
        JsonNode items = body.get("items");
        if (items == null || !items.isArray()) {
            throw new HttpError(400, "send {\"items\": [value, ...]} (and optionally \"keys\": [key or null, ...])");
        }
        List<String> jsons = new ArrayList<>();
        items.forEach(i -> jsons.add(i.toString()));
        List<String> keys = null;
        JsonNode k = body.get("keys");
        if (k != null) {
            if (!k.isArray() || k.size() != items.size()) {
                throw new HttpError(400, "\"keys\" must be a list as long as \"items\" (null for an item without a key)");
            }
            keys = new ArrayList<>();
            for (JsonNode key : k) {
                keys.add(key.isNull() ? null : key.asText());
            }
        }
        r.answer(200, Map.of("added", queues.put(name, jsons, keys)));
    }

    /** Refuses (403) a worker's credential an acknowledgement or failure of a lease another worker holds. */
    private void ownLeases(Request r, String name, List<Long> ids) {
        if (r.principal() == null) {
            return;
        }
        Long other = queues.leasedByAnother(name, r.principal(), ids);
        if (other != null) {
            throw new HttpError(403, "item " + other + " of queue '" + name + "' is leased by another worker: worker "
                    + r.principal() + "'s credential acknowledges and fails only its own leases");
        }
    }

    /**
     * A long poll that holds no thread while it waits: answered when the take is, and by default once
     * its {@code ack} ids are stored (the store's committer thread commits them and writes the answer:
     * committing them in this thread instead, leader/follower, measured slower with 4 consumers on 2
     * cores). With {@code "ack_wait": false} the answer does not wait for them at all
     * ({@link QueueService#takeLater(String, String, int, Duration, List, boolean)}).
     */
    private void take(Request r, String name) throws IOException {
        r.expect("POST");
        JsonNode body = r.json();
        int max = (int) Request.longField(body, "max", 1, 1, 10_000);
        long wait = Request.longField(body, "wait_ms", 30_000, 0, MAX_WAIT_MS);
        boolean ackWait = Request.booleanField(body, "ack_wait", true);
        String worker = r.worker();
        List<Long> acks = Request.ids(body.get("ack"), "ack");
        ownLeases(r, name, acks);
        CompletableFuture<QueueService.Taken> taken = queues.takeLater(name, worker, max, Duration.ofMillis(wait), acks, ackWait);
        // Leased items whose answer cannot be written go back to the queue at once, not when the lease runs out.
        r.answerLater(taken.thenApply(QueueRoutes::taken), undelivered -> taken.thenAccept(t -> queues.giveBack(name, worker, t)));
    }

    private static Map<String, Object> taken(QueueService.Taken t) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (QueueService.Leased l : t.items()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("id", l.id());
            item.put("attempt", l.attempt());
            // Stored as JSON text: written as it is, not parsed again.
            item.put("value", new RawValue(l.json()));
            items.add(item);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", items);
        m.put("done", t.done());
        m.put("lease_ms", t.leaseMillis());
        return m;
    }

    /** A dead letter as {@code GET /v1/queues/NAME/dead} writes it. */
    private static Map<String, Object> dead(io.cohort.DeadLetter d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.itemId());
        m.put("attempts", d.attempts());
        m.put("error", d.error());
        m.put("value", new RawValue(d.json()));
        return m;
    }

    /** A queue's progress as the API writes it (also the session's queue events). */
    static Map<String, Object> progress(QueueProgress p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queue", p.queue());
        m.put("added", p.added());
        m.put("ready", p.ready());
        m.put("in_flight", p.inFlight());
        m.put("done", p.done());
        m.put("failed", p.failed());
        m.put("closed", p.closed());
        m.put("drained", p.drained());
        m.put("rate_per_second", p.ratePerSecond());
        m.put("eta_seconds", p.eta() == null ? null : p.eta().toSeconds());
        return m;
    }
}
