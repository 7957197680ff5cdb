package io.cohort.core.queue;

import io.cohort.CohortException;
import io.cohort.DeadLetter;
import io.cohort.QueueProgress;
import io.cohort.WorkQueue;
import io.cohort.core.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** The session-side handle of one queue. */
public final class SessionQueue implements WorkQueue {
    private final String name;
    private final QueueService service;
    private final BooleanSupplier workersAlive;
    private final Consumer<String> console;

    public SessionQueue(String name, QueueService service, BooleanSupplier workersAlive, Consumer<String> console) {
        this.name = name;
        this.service = service;
        this.workersAlive = workersAlive;
        this.console = console;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void put(Object item) {
        putAll(List.of(item));
    }

    @Override
    public void putAll(Collection<?> items) {
        List<String> jsons = new ArrayList<>(items.size());
        for (Object item : items) {
            jsons.add(Json.write(item));
        }
        service.put(name, jsons, null);
    }

    @Override
    public boolean putUnique(String key, Object item) {
        if (key == null) {
            throw new IllegalArgumentException("putUnique needs a key; use put for items without one");
        }
        List<String> keys = new ArrayList<>();
        keys.add(key);
        return service.put(name, List.of(Json.write(item)), keys) == 1;
    }

    @Override
    public void close() {
        service.close(name);
    }

    @Override
    public QueueProgress progress() {
        return service.progress(name);
    }

    @Override
    public List<DeadLetter> deadLetters() {
        return service.deadLetters(name);
    }

    @Override
    public QueueProgress awaitDrained(Duration timeout) {
        try {
            QueueProgress end = service.awaitDrained(name, timeout, workersAlive, this::print);
            print(end);
            if (!end.drained()) {
                console.accept("[" + name + "] not drained: " + (end.closed() ? "" : "the queue is still open; ")
                        + (workersAlive.getAsBoolean() ? "the wait timed out" : "no worker of the session is running"));
            }
            return end;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException("interrupted while waiting for queue '" + name + "' to drain", e);
        }
    }

    private void print(QueueProgress p) {
        console.accept(p.line());
    }

    @Override
    public String toString() {
        return progress().line();
    }
}
