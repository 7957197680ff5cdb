package io.cohort.core;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendProvider;
import io.cohort.core.backend.WorkerHandle;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.core.kernel.PreparedProgram;
import io.cohort.core.kernel.ProgramPreparer;
import io.cohort.core.output.ConsolePrinter;
import io.cohort.core.output.OutputLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** The session: launches through its backend, owns worker state, and leaves nothing running when it ends. */
final class DefaultSession implements Session {
    private static final Duration HOOK_GRACE = Duration.ofSeconds(2);
    private final String id;
    private final SessionOptions options;
    private final Path directory;
    private final EventBus events = new EventBus();
    private final WorkerRegistry registry;
    private final OutputLog outputLog;
    private final ConsolePrinter console;
    private final Backend backend;
    private final Admission admission;
    private final ProgramPreparer preparer;
    private final Map<String, WorkerHandle> handles = new ConcurrentHashMap<>();
    private final Map<String, String> stopReasons = new ConcurrentHashMap<>();
    private final Thread shutdownHook;
    private final Object launchLock = new Object();
    private int launches;
    private int workerCount;
    private volatile boolean closed;

    DefaultSession(SessionOptions options, Clock clock) {
        this.id = newId();
        this.options = options;
        this.directory = options.home().resolve(id);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new CohortException("cannot create the session directory " + directory + ": " + e.getMessage()
                    + ". Set -Dcohort.home to a writable folder", e);
        }
        this.registry = new WorkerRegistry(events, clock);
        this.outputLog = new OutputLog(directory);
        events.subscribe(outputLog);
        this.console = options.console() == null ? null : new ConsolePrinter(options.console(), id);
        if (console != null) {
            events.subscribe(console);
        }
        this.backend = openBackend(options);
        this.admission = new Admission(backend.capacity(), options.cpuOvercommit());
        this.preparer = new ProgramPreparer(options);
        this.shutdownHook = new Thread(() -> close(HOOK_GRACE), "cohort-shutdown-" + id);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private Backend openBackend(SessionOptions options) {
        List<String> names = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, DefaultSession.class.getClassLoader())) {
            if (p.name().equalsIgnoreCase(options.backend())) {
                return p.open(id, directory, options);
            }
            names.add(p.name());
        }
        throw new CohortException("no backend named '" + options.backend() + "' on the class path; available: "
                + (names.isEmpty() ? "none (add cohort-local to the class path)" : names));
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public Path workingDirectory() {
        return options.workingDirectory();
    }

    @Override
    public String masterAddress() {
        return backend.masterAddress();
    }

    @Override
    public SessionOptions options() {
        return options;
    }

    @Override
    public List<Worker> launch(LaunchRequest request) {
        List<String> ids = new ArrayList<>();
        synchronized (launchLock) {
            ensureOpen();
            Path launchDir = directory.resolve("launches").resolve(Integer.toString(++launches));
            PreparedProgram program = preparer.prepare(request.program(), launchDir);
            admission.reserve(request);
            for (int i = 0; i < request.n(); i++) {
                String workerId = "w" + (++workerCount);
                ids.add(workerId);
                outputLog.create(workerId);
                registry.add(new Worker(workerId, id, Status.SCHEDULING, request.program().kernel(),
                        request.program().describe(), request.cpu(), request.memoryGb(), List.of(), null, null, null,
                        registry.clock().instant(), null, null, null, null, List.of()));
            }
            for (int i = 0; i < ids.size(); i++) {
                start(ids.get(i), i, request, program);
            }
        }
        return ids.stream().map(registry::get).toList();
    }

    private void start(String workerId, int index, LaunchRequest request, PreparedProgram program) {
        Sink sink = new Sink(workerId, request);
        long memory = Admission.bytes(request.memoryGb());
        Map<String, String> env = WorkerEnvironment.build(System.getenv(), id, directory.toString(), masterAddress(),
                workerId, index, request.cpu(), request.memoryGb(), request.env());
        WorkerSpec spec = new WorkerSpec(id, workerId, program.command(memory), env, options.workingDirectory(),
                request.cpu(), memory, request.gpus());
        registry.update(workerId, w -> WorkerChanges.status(w, Status.STARTING));
        try {
            handles.put(workerId, backend.start(spec, sink));
        } catch (RuntimeException e) {
            sink.failedToStart("the " + backend.name() + " backend could not start it: " + e.getMessage());
        }
    }

    @Override
    public List<Worker> list() {
        return registry.all();
    }

    @Override
    public Worker get(Object workerOrId) {
        return registry.get(idOf(workerOrId));
    }

    @Override
    public AwaitResult await(Collection<?> workersOrIds, boolean waitForCompletion, Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be zero (no limit) or more, got " + timeout);
        }
        try {
            return registry.await(ids(workersOrIds), waitForCompletion, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException("interrupted while awaiting workers", e);
        }
    }

    @Override
    public List<Worker> stop(Collection<?> workersOrIds) {
        List<String> ids = ids(workersOrIds);
        stopAll(ids, "stopped by the user", options.stopGrace());
        return ids.stream().map(registry::get).toList();
    }

    private void stopAll(List<String> ids, String reason, Duration grace) {
        for (String workerId : ids) {
            if (registry.get(workerId).status().isFinal()) {
                continue;
            }
            stopReasons.putIfAbsent(workerId, reason);
            WorkerHandle handle = handles.get(workerId);
            if (handle != null) {
                handle.stop(grace);
            } else {
                registry.update(workerId, w -> WorkerChanges.ended(w, Status.STOPPED, null, reason, registry.clock().instant()));
            }
        }
        Duration wait = grace.plusSeconds(10);
        for (String workerId : ids) {
            try {
                if (!registry.awaitFinal(workerId, wait).status().isFinal()) {
                    throw new CohortException("worker " + workerId + " did not end within " + wait.toSeconds()
                            + " s of being stopped; see " + outputFile(workerId));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CohortException("interrupted while stopping workers", e);
            }
        }
    }

    @Override
    public List<OutputLine> output(Object workerOrId) {
        return outputLog.read(get(workerOrId).id());
    }

    @Override
    public Path outputFile(Object workerOrId) {
        return outputLog.file(get(workerOrId).id());
    }

    @Override
    public void close() {
        close(options.stopGrace());
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // The hook is running or has run; nothing to remove.
        }
    }

    private void close(Duration grace) {
        synchronized (launchLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            stopAll(registry.all().stream().map(Worker::id).toList(), "the session closed", grace);
        } finally {
            backend.close(grace);
            if (console != null) {
                console.close();
            }
            outputLog.close();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new CohortException("session " + id + " is closed; open a new one to launch workers");
        }
    }

    /** Workers or ids in launch order; none means all. */
    private List<String> ids(Collection<?> workersOrIds) {
        if (workersOrIds == null || workersOrIds.isEmpty()) {
            return registry.all().stream().map(Worker::id).toList();
        }
        List<String> wanted = workersOrIds.stream().map(DefaultSession::idOf).distinct().toList();
        wanted.forEach(registry::get);
        return registry.all().stream().map(Worker::id).filter(wanted::contains).toList();
    }

    private static String idOf(Object workerOrId) {
        if (workerOrId instanceof Worker w) {
            return w.id();
        }
        if (workerOrId instanceof CharSequence s) {
            return s.toString();
        }
        throw new IllegalArgumentException("workers are named by a Worker or its id (a string such as \"w1\"), got "
                + (workerOrId == null ? "null" : workerOrId.getClass().getSimpleName() + " " + workerOrId));
    }

    private static String newId() {
        String alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    /** Turns a backend's reports about one worker into registry changes and events. */
    private final class Sink implements WorkerSink {
        private final String workerId;
        private final LaunchRequest request;

        Sink(String workerId, LaunchRequest request) {
            this.workerId = workerId;
            this.request = request;
        }

        @Override
        public void placed(String ipAddress, List<Integer> gpus, List<String> notes) {
            String appUrl = "http://" + ipAddress + ":" + WorkerEnvironment.APP_PORT + "/";
            registry.update(workerId, w -> WorkerChanges.placed(w, ipAddress, appUrl, gpus, notes));
        }

        @Override
        public void running(long pid) {
            registry.update(workerId, w -> WorkerChanges.running(w, pid, registry.clock().instant()));
        }

        @Override
        public void output(OutputLine.Stream stream, String line) {
            events.publish(new WorkerEvent.Output(new OutputLine(workerId, stream, line)));
        }

        @Override
        public void exited(int exitCode, String reason) {
            String stopReason = stopReasons.get(workerId);
            Status status = stopReason != null && reason == null ? Status.STOPPED
                    : exitCode == 0 && reason == null ? Status.SUCCEEDED : Status.FAILED;
            String why = reason != null ? reason : stopReason != null ? stopReason
                    : exitCode == 0 ? null : "exited with code " + exitCode;
            end(status, exitCode, why);
        }

        @Override
        public void failedToStart(String reason) {
            end(Status.FAILED, null, reason);
        }

        private void end(Status status, Integer exitCode, String reason) {
            Worker before = registry.get(workerId);
            Worker after = registry.update(workerId, w -> WorkerChanges.ended(w, status, exitCode, reason, registry.clock().instant()));
            if (!before.status().isFinal() && after.status().isFinal()) {
                admission.release(request.cpu(), request.memoryGb(), request.gpus());
            }
        }
    }
}
