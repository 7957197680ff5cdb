package io.cohort.worker.agent;

import io.cohort.worker.Json;
import io.cohort.worker.internal.ControlPlaneClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The agent's link to its session: the calls of the agent protocol ({@code /v1/agents/WORKER/...}),
 * each retried while the session does not answer, and the heartbeat, a long poll that brings a stop
 * at once. When the session has not answered for the give-up time, the link is gone for good: it
 * tells the agent once ({@code onGone}), and every call from then on throws {@link SessionGone}.
 */
final class SessionLink {
    private static final long POLL_WAIT_MS = 10_000;
    /** A request unanswered this long counts as a silent session (a poll waits POLL_WAIT_MS more). */
    static final int READ_TIMEOUT_MS = 10_000;
    private static final long RETRY_MS = 250;

    private final ControlPlaneClient session;
    private final String api;
    private final String worker;
    private final long giveUpMillis;
    private final Consumer<Duration> stopOrders;
    private final Runnable onGone;
    private final AtomicLong lastContact = new AtomicLong(System.nanoTime());
    private final AtomicBoolean gone = new AtomicBoolean();

    /**
     * @param api          the session's control plane (COHORT_API)
     * @param token        the session's token or the worker's own credential (COHORT_TOKEN)
     * @param pin          the session certificate's pin for an https:// api (COHORT_TLS_PIN), or null
     * @param worker       the worker this agent runs (COHORT_WORKER_ID)
     * @param giveUpMillis how long the session may stay silent before the link is gone
     * @param stopOrders   given the grace of each stop the session orders in an answer
     * @param onGone       run once, when the link is gone
     */
    SessionLink(String api, String token, String pin, String worker, long giveUpMillis, Consumer<Duration> stopOrders,
                Runnable onGone) {
        this.session = new ControlPlaneClient(api, token, worker, pin);
        this.api = api;
        this.worker = worker;
        this.giveUpMillis = giveUpMillis;
        this.stopOrders = stopOrders;
        this.onGone = onGone;
    }

    /** Thrown when the session has not answered for the give-up time. */
    static final class SessionGone extends RuntimeException {
        SessionGone(String message) {
            super(message);
        }
    }

    /** True once the session has been silent for the give-up time. */
    boolean gone() {
        return gone.get();
    }

    long giveUpMillis() {
        return giveUpMillis;
    }

    String api() {
        return api;
    }

    /** The worker's command, environment and directory; a refusal means the worker must not run. */
    @SuppressWarnings("unchecked")
    Map<String, Object> spec() {
        return (Map<String, Object>) Json.parse(call("GET", "spec", null, READ_TIMEOUT_MS));
    }

    void started(Map<String, Object> report) {
        call("POST", "started", Json.write(report), READ_TIMEOUT_MS);
    }

    void exited(Map<String, Object> report) {
        call("POST", "exited", Json.write(report), READ_TIMEOUT_MS);
    }

    /** Ships one batch ({@code {"lines":[...]}}); a stop in the answer is obeyed. */
    void output(String batch) {
        obey(call("POST", "output", batch, READ_TIMEOUT_MS));
    }

    /** Polls while {@code going} says so: each answer is the session's sign of life, and may order a stop. */
    void heartbeat(BooleanSupplier going) {
        while (going.getAsBoolean() && !gone()) {
            obey(call("POST", "poll", "{\"wait_ms\":" + POLL_WAIT_MS + "}", (int) POLL_WAIT_MS + READ_TIMEOUT_MS));
        }
    }

    /** The address of this host on the route to the session: the one peers and the session reach it by. */
    String addressTowardsSession() {
        URI uri = URI.create(api);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
            return s.getLocalAddress().getHostAddress();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the session at " + uri, e);
        }
    }

    @SuppressWarnings("unchecked")
    private void obey(String answer) {
        Object stop = ((Map<String, Object>) Json.parse(answer)).get("stop_ms");
        if (stop instanceof Number grace) {
            stopOrders.accept(Duration.ofMillis(grace.longValue()));
        }
    }

    /**
     * A request, retried while the session does not answer, up to the give-up time since the last
     * answer. A refusal (an error status) is the session's answer: it is thrown as it is.
     */
    private String call(String method, String action, String json, int readTimeoutMillis) {
        String path = "/v1/agents/" + ControlPlaneClient.segment(worker) + "/" + action;
        while (true) {
            if (gone()) {
                throw new SessionGone("the session did not answer for " + giveUpMillis + " ms");
            }
            try {
                String answer = session.callJson(method, path, json, null, readTimeoutMillis);
                lastContact.set(System.nanoTime());
                return answer;
            } catch (ControlPlaneClient.Refused e) {
                lastContact.set(System.nanoTime());
                throw e;
            } catch (UncheckedIOException e) {
                long silent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContact.get());
                if (silent >= giveUpMillis) {
                    goneNow();
                    throw new SessionGone("the session did not answer for " + silent + " ms: " + e.getMessage());
                }
                try {
                    Thread.sleep(RETRY_MS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    goneNow();
                    throw new SessionGone("interrupted");
                }
            }
        }
    }

    private void goneNow() {
        if (gone.compareAndSet(false, true)) {
            onGone.run();
        }
    }
}
