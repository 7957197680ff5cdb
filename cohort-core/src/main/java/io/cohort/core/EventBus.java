package io.cohort.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The session's single ordered stream of events. Listeners run on the publishing thread, one event
 * at a time, so every listener sees the same order; a slow listener (the console) queues on its own.
 */
public final class EventBus {
    private final List<Consumer<WorkerEvent>> listeners = new CopyOnWriteArrayList<>();

    public void subscribe(Consumer<WorkerEvent> listener) {
        listeners.add(listener);
    }

    public void unsubscribe(Consumer<WorkerEvent> listener) {
        listeners.remove(listener);
    }

    public synchronized void publish(WorkerEvent event) {
        for (Consumer<WorkerEvent> l : listeners) {
            l.accept(event);
        }
    }
}
