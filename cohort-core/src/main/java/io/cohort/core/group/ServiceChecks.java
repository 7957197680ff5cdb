package io.cohort.core.group;

import io.cohort.Readiness;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.WorkerEvent;
import io.cohort.core.backend.Background;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Checks service workers' readiness ({@link Readiness}) from the moment they run: a port or an HTTP
 * path is tried every 100 ms at first, backing off to once a second, on a thread of its own (a
 * check may wait up to a second for an answer); a line is matched as the worker's output arrives.
 * A worker that passes is marked ready once; a worker that ends is no longer checked.
 */
public final class ServiceChecks implements Consumer<WorkerEvent>, AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 1000;
    private final Function<String, Readiness> readinessOf;
    private final Function<String, Worker> workers;
    private final Consumer<String> markReady;
    /** Services waiting for a line, by worker id. */
    private final Map<String, Pattern> awaitingLine = new ConcurrentHashMap<>();
    private final Map<String, Boolean> probing = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor probes;

    /**
     * @param readinessOf a worker's readiness check, or null when it is not a service
     * @param workers     a worker's current description
     * @param markReady   marks a worker ready
     */
    public ServiceChecks(Function<String, Readiness> readinessOf, Function<String, Worker> workers, Consumer<String> markReady) {
        this.readinessOf = readinessOf;
        this.workers = workers;
        this.markReady = markReady;
        this.probes = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cohort-service-checks");
            t.setDaemon(true);
            return t;
        });
        probes.setRemoveOnCancelPolicy(true);
    }

    /** Called when a service worker is launched, before it can write a line. */
    public void launched(String workerId) {
        Readiness r = readinessOf.apply(workerId);
        if (r != null && r.kind() == Readiness.Kind.LINE) {
            awaitingLine.put(workerId, Pattern.compile(r.pattern()));
        }
    }

    @Override
    public void accept(WorkerEvent event) {
        if (event instanceof WorkerEvent.Output o) {
            if (awaitingLine.isEmpty()) {
                return;
            }
            Pattern p = awaitingLine.get(o.workerId());
            if (p != null && o.texts().stream().anyMatch(t -> p.matcher(t).find()) && awaitingLine.remove(o.workerId()) != null) {
                markReady.accept(o.workerId());
            }
        } else if (event instanceof WorkerEvent.Changed c) {
            Worker w = c.worker();
            if (w.status().isFinal()) {
                awaitingLine.remove(w.id());
                return;
            }
            if (w.status() == Status.RUNNING && Boolean.FALSE.equals(w.ready())) {
                Readiness r = readinessOf.apply(w.id());
                if (r != null && r.kind() != Readiness.Kind.LINE && probing.putIfAbsent(w.id(), Boolean.TRUE) == null) {
                    probes.execute(Background.reporting("checking service " + w.id() + "'s readiness", () -> probe(w.id(), r, 100)));
                }
            }
        }
    }

    private void probe(String workerId, Readiness r, long nextDelayMs) {
        Worker w = workers.apply(workerId);
        if (w.status().isFinal() || !Boolean.FALSE.equals(w.ready())) {
            probing.remove(workerId);
            return;
        }
        if (passes(w.ipAddress(), r)) {
            probing.remove(workerId);
            markReady.accept(workerId);
            return;
        }
        probes.schedule(Background.reporting("checking service " + workerId + "'s readiness",
                () -> probe(workerId, r, Math.min(1000, nextDelayMs * 2))), nextDelayMs, TimeUnit.MILLISECONDS);
    }

    static boolean passes(String address, Readiness r) {
        if (address == null) {
            return false;
        }
        if (r.kind() == Readiness.Kind.PORT) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(address, r.port()), CONNECT_TIMEOUT_MS);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        HttpURLConnection c = null;
        try {
            String host = address.contains(":") ? "[" + address + "]" : address;
            c = (HttpURLConnection) URI.create("http://" + host + ":" + r.port() + r.path()).toURL().openConnection(java.net.Proxy.NO_PROXY);
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(CONNECT_TIMEOUT_MS);
            c.setInstanceFollowRedirects(false);
            return c.getResponseCode() < 500;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
