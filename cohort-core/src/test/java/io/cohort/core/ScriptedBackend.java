package io.cohort.core;

import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.BackendProvider;
import io.cohort.core.backend.Capacity;
import io.cohort.core.backend.WorkerHandle;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backend the test drives by hand: workers start when told, write what they are told, and exit
 * when told, so the session's state machine is tested without timing.
 */
public final class ScriptedBackend implements Backend {
    static final Map<String, ScriptedBackend> OPEN = new ConcurrentHashMap<>();
    final Map<String, WorkerSink> sinks = new ConcurrentHashMap<>();
    final Map<String, WorkerSpec> specs = new ConcurrentHashMap<>();
    final Map<String, Duration> stops = new ConcurrentHashMap<>();
    volatile boolean closed;
    /** When false (the default), a stopped worker exits at once with 143, as after SIGTERM. */
    volatile boolean holdStops;

    /** Registered for the name "scripted" in test resources. */
    public static final class Provider implements BackendProvider {
        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public Backend open(BackendContext context) {
            ScriptedBackend b = new ScriptedBackend();
            OPEN.put(context.sessionId(), b);
            return b;
        }
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public Capacity capacity() {
        return new Capacity(4, 8L << 30, 1, "the scripted cluster");
    }

    @Override
    public String masterAddress() {
        return "127.9.8.7";
    }

    @Override
    public WorkerHandle start(WorkerSpec spec, WorkerSink sink) {
        if (spec.env().containsKey("BREAK_BACKEND")) {
            throw new IllegalStateException("the scripted cluster is down");
        }
        specs.put(spec.workerId(), spec);
        sinks.put(spec.workerId(), sink);
        sink.placed("10.0.0." + sinks.size(), List.of(), List.of("scripted"));
        return grace -> {
            stops.put(spec.workerId(), grace);
            if (!holdStops) {
                sink.exited(143, null);
            }
        };
    }

    WorkerSink sink(String workerId) {
        return sinks.get(workerId);
    }

    @Override
    public void close(Duration grace) {
        closed = true;
    }
}
