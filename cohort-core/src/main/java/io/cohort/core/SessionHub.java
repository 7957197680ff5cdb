package io.cohort.core;

import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.backend.Background;
import io.cohort.core.control.ControlPlane;
import io.cohort.core.queue.QueueService;
import io.cohort.core.results.ResultStore;
import io.cohort.core.results.SnapshotStore;
import io.cohort.core.store.Durability;
import io.cohort.core.store.Store;
import io.cohort.worker.WorkerVariables;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the session hosts for workers to cooperate: the database, the queues, results and snapshots,
 * and the HTTP control plane that serves them. It also keeps the workers table current, and hands a
 * dead worker's leases back the moment its end is known.
 */
final class SessionHub implements Consumer<WorkerEvent>, AutoCloseable {
    final Store store;
    /** The launches and workers tables. */
    final SessionJournal journal;
    final QueueService queues;
    final ResultStore results;
    final SnapshotStore snapshots;
    final ControlPlane controlPlane;
    private final Path clientsDirectory;
    private final ScheduledExecutorService timer;

    SessionHub(Path directory, String bindAddress, AgentRegistry agents, java.util.concurrent.CompletableFuture<Store> opening,
               long maxJsonBytes, long maxSnapshotBytes, Clock clock) {
        this(directory, bindAddress, agents, opening, maxJsonBytes, maxSnapshotBytes, clock,
                io.cohort.core.control.WorkerSecurity.OFF);
    }

    /**
     * @param opening the session's database, being opened (on another thread while the backend opens:
     *              SQLite's native library and schema take about a tenth of a second of CPU)
     */
    SessionHub(Path directory, String bindAddress, AgentRegistry agents, java.util.concurrent.CompletableFuture<Store> opening,
               long maxJsonBytes, long maxSnapshotBytes, Clock clock, io.cohort.core.control.WorkerSecurity security) {
        this.store = opened(opening);
        this.journal = new SessionJournal(store);
        this.queues = new QueueService(new io.cohort.core.queue.SqliteQueueJournal(store), clock);
        this.results = new ResultStore(store, clock);
        this.snapshots = new SnapshotStore(store, directory.resolve("snapshots"), clock);
        this.controlPlane = new ControlPlane(bindAddress, queues, results, snapshots, agents, maxJsonBytes, maxSnapshotBytes,
                security);
        this.clientsDirectory = extractClients(directory.resolve("clients"));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cohort-leases");
            t.setDaemon(true);
            return t;
        });
        every(java.time.Duration.ofMillis(250), "the lease timer (expiring leases)", queues::expireLeases);
    }

    private static Store opened(java.util.concurrent.CompletableFuture<Store> store) {
        try {
            return store.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * Runs a task every {@code period} on the session's timer until the session closes. A run that
     * fails is reported ({@link Background}) and the task runs again at its next period.
     */
    java.util.concurrent.ScheduledFuture<?> every(java.time.Duration period, String what, Runnable task) {
        return timer.scheduleWithFixedDelay(Background.reporting(what, task), period.toMillis(), period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** The clients' cohort_run.py, which every python3 worker runs its program with (docs/python.md). */
    Path pythonRunner() {
        return clientsDirectory.resolve("python").resolve("cohort_run.py");
    }

    /**
     * The variables that let worker {@code workerId} reach the control plane and load the client
     * libraries: with worker security on, the TLS address, the certificate's pin and the worker's own
     * credential, and the secret its group's members share; otherwise the plain address and the
     * session's token.
     */
    void addWorkerEnvironment(String workerId, String group, Map<String, String> env) {
        env.put(WorkerVariables.COHORT_API, controlPlane.workerUrl());
        env.put(WorkerVariables.COHORT_TOKEN, controlPlane.workerToken(workerId));
        if (controlPlane.tlsPin() != null) {
            env.put(WorkerVariables.COHORT_TLS_PIN, controlPlane.tlsPin());
            env.put(WorkerVariables.COHORT_GROUP_SECRET, controlPlane.groupSecret(group));
        } else {
            env.remove(WorkerVariables.COHORT_TLS_PIN);
            env.remove(WorkerVariables.COHORT_GROUP_SECRET);
        }
        String python = clientsDirectory.resolve("python").toString();
        String existing = env.get("PYTHONPATH");
        env.put("PYTHONPATH", existing == null || existing.isEmpty() ? python : python + ":" + existing);
        env.put(WorkerVariables.COHORT_R_CLIENT, clientsDirectory.resolve("r").resolve("R").resolve("cohort.R").toString());
    }

    /** Keeps the workers table current, and releases the leases of a worker that ended. */
    @Override
    public void accept(WorkerEvent event) {
        if (!(event instanceof WorkerEvent.Changed c)) {
            return;
        }
        Worker w = c.worker();
        if (w.status().isFinal()) {
            queues.releaseWorker(w.id(), w.status() == Status.FAILED,
                    "worker " + w.id() + " " + w.status().label() + (w.reason() == null ? "" : ": " + w.reason()));
        }
        journal.changed(w);
    }

    /** Writes out the client libraries listed in clients/MANIFEST (shipped inside this jar). */
    private static Path extractClients(Path dir) {
        try {
            for (String file : clientFiles()) {
                Path target = dir.resolve(file);
                PrivateFiles.file(target);
                try (InputStream in = SessionHub.class.getResourceAsStream("clients/" + file)) {
                    if (in == null) {
                        throw new IllegalStateException("the client library clients/" + file + " (listed in clients/MANIFEST)"
                                + " is missing from cohort-core's jar; rebuild it with mvn package");
                    }
                    Files.write(target, in.readAllBytes(), java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the worker client libraries to " + dir, e);
        }
    }

    private static List<String> clientFiles() throws IOException {
        try (InputStream in = SessionHub.class.getResourceAsStream("clients/MANIFEST")) {
            if (in == null) {
                throw new IllegalStateException("clients/MANIFEST is missing from cohort-core's jar; rebuild it with mvn package");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        controlPlane.close();
        store.close();
    }
}
