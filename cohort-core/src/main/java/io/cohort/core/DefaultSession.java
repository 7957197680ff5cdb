package io.cohort.core;

import io.cohort.AwaitResult;
import io.cohort.CohortException;
import io.cohort.ElasticPool;
import io.cohort.GroupRole;
import io.cohort.PoolOptions;
import io.cohort.WorkerGroup;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.QueueOptions;
import io.cohort.Results;
import io.cohort.Session;
import io.cohort.Snapshots;
import io.cohort.WorkQueue;
import io.cohort.SessionOptions;
import io.cohort.Status;
import io.cohort.Worker;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.backend.Backend;
import io.cohort.core.control.SessionEvents;
import io.cohort.core.control.WorkerJson;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.BackendProvider;
import io.cohort.core.backend.WorkerHandle;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.core.kernel.PreparedProgram;
import io.cohort.core.kernel.ProgramPreparer;
import io.cohort.core.output.ConsolePrinter;
import io.cohort.core.group.Group;
import io.cohort.core.group.Groups;
import io.cohort.core.group.ServiceChecks;
import io.cohort.core.output.OutputLog;
import io.cohort.core.queue.SessionQueue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
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
    private final SessionHub hub;
    private final Map<String, WorkerHandle> handles = new ConcurrentHashMap<>();
    private final Map<String, String> stopReasons = new ConcurrentHashMap<>();
    /** The launch each worker came from, for its description in the session API. */
    private final Map<String, LaunchRequest> requests = new ConcurrentHashMap<>();
    /** The launch (1, 2, ...) each worker of this run came from, for the dashboard's "stop the launch". */
    private final Map<String, Integer> launchOf = new ConcurrentHashMap<>();
    private final SessionEvents sessionEvents = new SessionEvents(this::describe);
    private final java.util.concurrent.CountDownLatch closedLatch = new java.util.concurrent.CountDownLatch(1);
    /** For a resumed session: how many workers of each launch were still alive when it ended. */
    private final Map<Integer, Integer> interruptedPerLaunch = new java.util.TreeMap<>();
    private final Thread shutdownHook;
    private final Object launchLock = new Object();
    private final Groups groups;
    private final ServiceChecks services;
    private int launches;
    private int workerCount;
    private volatile boolean closed;

    /** Opens a new session, or, when {@code resumeFrom} is given, reopens that session's directory. */
    DefaultSession(SessionOptions options, Clock clock, Path resumeFrom) {
        if (resumeFrom != null && !Files.isRegularFile(resumeFrom.resolve("session.db"))) {
            throw new CohortException(resumeFrom + " is not a session directory (it has no session.db); session"
                    + " directories are under " + options.home());
        }
        CoreSettings settings = CoreSettings.from(options);
        this.id = resumeFrom == null ? newId(settings.sessionId()) : resumeFrom.getFileName().toString();
        this.options = options;
        this.directory = resumeFrom == null ? options.home().resolve(id) : resumeFrom.toAbsolutePath();
        try {
            // The user's alone (0700), with the files in it 0600: outputs, results and the token's file are private.
            PrivateFiles.folder(directory);
            // A backend's guard appends its log here (local); created first, so it is private too.
            PrivateFiles.file(directory.resolve("guard.log"));
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new CohortException("cannot create the session directory " + directory + ": " + e.getMessage()
                    + ". Set -Dcohort.home to a writable folder", e);
        }
        java.util.concurrent.CompletableFuture<io.cohort.core.store.Store> store = new java.util.concurrent.CompletableFuture<>();
        Thread opening = new Thread(() -> {
            try {
                store.complete(io.cohort.core.store.Store.open(directory.resolve("session.db"), settings.durability()));
            } catch (Throwable e) {
                store.completeExceptionally(e);
            }
        }, "cohort-store-open");
        opening.setDaemon(true);
        opening.start();
        this.registry = new WorkerRegistry(events, clock);
        this.outputLog = new OutputLog(directory);
        events.subscribe(outputLog);
        this.console = options.console() == null ? null : new ConsolePrinter(options.console(), id);
        if (console != null) {
            events.subscribe(console);
        }
        AgentRegistry agents = new AgentRegistry(clock);
        try {
            this.backend = openBackend(options, agents);
        } catch (RuntimeException | Error e) {
            // Not left holding the database, nor writing to the session's folder after open() has failed.
            try {
                store.join().close();
            } catch (RuntimeException ignored) {
                // it could not open either: nothing to close
            }
            throw e;
        }
        this.admission = new Admission(backend.capacity(), options.cpuOvercommit());
        this.hub = new SessionHub(directory, backend.masterAddress(), agents, store,
                settings.maxRequestBytes(), settings.snapshotMaxBytes(), clock,
                io.cohort.core.control.WorkerSecurity.from(options, backend.workersOnOtherHosts()));
        this.preparer = new ProgramPreparer(options.workingDirectory(), settings, hub.pythonRunner());
        if (settings.javaWarmUp()) {
            preparer.warmUp();
        }
        if (resumeFrom != null) {
            restoreWorkers();
        }
        events.subscribe(hub);
        this.groups = new Groups(directory, backend.masterAddress(), registry::get);
        events.subscribe(groups);
        this.services = new ServiceChecks(w -> {
            LaunchRequest r = requests.get(w);
            return r == null ? null : r.service();
        }, registry::get, this::markReady);
        events.subscribe(services);
        // Last: a line it numbers is already in the output log.
        events.subscribe(sessionEvents);
        hub.controlPlane.serveSession(this, sessionEvents, this::describe, WorkerEnvironment.engine(System.getenv(), id,
                backend.masterAddress(), options.workingDirectory()));
        hub.every(Duration.ofSeconds(1), "the queue progress of the event stream", this::publishQueueProgress);
        hub.controlPlane.serveResources(backend::usage);
        hub.controlPlane.serveLaunches(() -> new java.util.TreeMap<>(launchOf));
        if (console != null && settings.printDashboard()) {
            // Whoever holds the console holds the session: the token travels once, then the browser keeps a cookie.
            console.print("[session " + id + "] dashboard: " + hub.controlPlane.dashboardUrl());
        }
        this.shutdownHook = new Thread(() -> close(HOOK_GRACE), "cohort-shutdown-" + id);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private Backend openBackend(SessionOptions options, AgentRegistry agents) {
        BackendProvider named = conventionalProvider(options.backend());
        if (named != null) {
            return named.open(new BackendContext(id, directory, options, agents));
        }
        List<String> names = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, DefaultSession.class.getClassLoader())) {
            if (p.name().equalsIgnoreCase(options.backend())) {
                return p.open(new BackendContext(id, directory, options, agents));
            }
            names.add(p.name());
        }
        throw new CohortException("no backend named '" + options.backend() + "' on the class path; available: "
                + (names.isEmpty() ? "none (add cohort-local to the class path)" : names));
    }

    /**
     * The provider of backend {@code name} by the naming convention of {@link BackendProvider}, or null.
     * Saves a fresh JVM the ServiceLoader scan of every jar (a quarter of a second on a class path of 160
     * jars); any other backend is still found by the scan.
     */
    private static BackendProvider conventionalProvider(String given) {
        String name = given == null ? "" : given.toLowerCase(java.util.Locale.ROOT);
        if (!name.matches("[a-z][a-z0-9]*")) {
            return null;
        }
        String className = "io.cohort." + name + "." + Character.toUpperCase(name.charAt(0)) + name.substring(1)
                + "BackendProvider";
        try {
            Class<?> c = Class.forName(className, true, DefaultSession.class.getClassLoader());
            if (BackendProvider.class.isAssignableFrom(c)) {
                BackendProvider p = (BackendProvider) c.getConstructor().newInstance();
                return p.name().equalsIgnoreCase(name) ? p : null;
            }
        } catch (ReflectiveOperationException | LinkageError e) {
            // Not there: the ServiceLoader scan decides.
        }
        return null;
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
        return startGroup(null, List.of(GroupRole.of("worker", request))).stream().map(registry::get).toList();
    }

    @Override
    public WorkerGroup launchGroup(String name, List<GroupRole> roles) {
        if (roles == null || roles.isEmpty()) {
            throw new IllegalArgumentException("a group needs at least one role: launchGroup(\"" + name
                    + "\", List.of(GroupRole.of(\"worker\", launch)))");
        }
        if (roles.stream().map(GroupRole::role).distinct().count() < roles.size()) {
            throw new IllegalArgumentException("each role of a group needs a name of its own, got "
                    + roles.stream().map(GroupRole::role).toList());
        }
        startGroup(name, roles);
        return group(name);
    }

    @Override
    public ElasticPool pool(String queue, LaunchRequest worker, PoolOptions options) {
        ensureOpen();
        queue(queue);
        Pool pool = new Pool(queue, worker, options, hub.queues, this::launch, registry::get);
        pool.tick = hub.every(Duration.ofMillis(Pool.TICK_MS), "the elastic pool on queue " + queue, pool::tick);
        return pool;
    }

    @Override
    public WorkerGroup group(String name) {
        return new GroupHandle(groups.get(name), this);
    }

    @Override
    public List<WorkerGroup> groups() {
        return groups.all().stream().<WorkerGroup>map(g -> new GroupHandle(g, this)).toList();
    }

    /**
     * Checks, admits and starts a group's workers (a plain launch is the group launch-K): every role
     * is checked and admitted before any worker starts; each role is a launch of its own in the
     * session's journal. Members start in rank order.
     */
    private List<String> startGroup(String name, List<GroupRole> roles) {
        synchronized (launchLock) {
            ensureOpen();
            if (name != null) {
                groups.checkNewName(name);
            }
            int first = launches + 1;
            List<PreparedProgram> programs = new ArrayList<>();
            for (int r = 0; r < roles.size(); r++) {
                programs.add(preparer.prepare(roles.get(r).launch().program(),
                        directory.resolve("launches").resolve(Integer.toString(first + r))));
            }
            roles.forEach(r -> backend.admit(r.launch()));
            List<LaunchRequest> reserved = new ArrayList<>();
            try {
                for (GroupRole r : roles) {
                    admission.reserve(r.launch());
                    reserved.add(r.launch());
                }
            } catch (RuntimeException e) {
                for (LaunchRequest q : reserved) {
                    for (int i = 0; i < q.n(); i++) {
                        admission.release(q.cpu(), q.memoryGb(), q.gpus());
                    }
                }
                throw e;
            }
            String groupName = name != null ? name : "launch-" + first;
            List<String> members = new ArrayList<>();
            List<Integer> memberRoleNumber = new ArrayList<>();
            List<String> memberRole = new ArrayList<>();
            List<Integer> roleIndex = new ArrayList<>();
            long now = registry.clock().millis();
            for (int r = 0; r < roles.size(); r++) {
                GroupRole role = roles.get(r);
                LaunchRequest request = role.launch();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < request.n(); i++) {
                    ids.add("w" + (++workerCount));
                    memberRoleNumber.add(r);
                    memberRole.add(role.role());
                    roleIndex.add(i);
                }
                launches = first + r;
                hub.journal.launched(first + r, Json.write(request), ids, now);
                for (String workerId : ids) {
                    requests.put(workerId, request);
                    launchOf.put(workerId, first + r);
                    outputLog.create(workerId);
                    registry.add(Worker.scheduling(workerId, id, request.program().kernel(), request.program().describe(),
                            request.cpu(), request.memoryGb(), registry.clock().instant(), groupName, role.role(),
                            members.size(), request.service() != null));
                    members.add(workerId);
                    services.launched(workerId);
                }
            }
            Group g = groups.add(groupName, roles, members, memberRole, roleIndex);
            for (int rank = 0; rank < members.size(); rank++) {
                String workerId = members.get(rank);
                LaunchRequest request = requests.get(workerId);
                start(workerId, roleIndex.get(rank), request, programs.get(memberRoleNumber.get(rank)), g);
            }
            return members;
        }
    }

    private void start(String workerId, int index, LaunchRequest request, PreparedProgram program, Group group) {
        Sink sink = new Sink(workerId, request);
        long memory = WorkerSpec.bytes(request.memoryGb());
        Map<String, String> env = new java.util.HashMap<>(WorkerEnvironment.build(System.getenv(), id, directory.toString(),
                masterAddress(), workerId, index, request.cpu(), request.memoryGb(), request.env()));
        hub.addWorkerEnvironment(workerId, group.name(), env);
        String rank0 = group.members().get(0);
        // What the launch's env names itself (MASTER_ADDR of the session's, say) wins over the group's identity.
        groups.identity(group, workerId, request.n(), rank0.equals(workerId) ? null : registry.get(rank0).ipAddress(),
                backend.addressPerWorker()).forEach((k, v) -> {
                    if (!request.env().containsKey(k)) {
                        env.put(k, v);
                    }
                });
        WorkerSpec spec = new WorkerSpec(id, workerId, program.command(memory), env, options.workingDirectory(),
                request.cpu(), memory, request.gpus());
        try {
            handles.put(workerId, backend.start(spec, sink));
        } catch (RuntimeException e) {
            sink.failedToStart("the " + backend.name() + " backend could not start it: " + e.getMessage());
        }
    }

    /** Marks a service worker ready (its readiness check passed). */
    private void markReady(String workerId) {
        registry.update(workerId, w -> w.status() == Status.RUNNING && Boolean.FALSE.equals(w.ready()) ? w.withReady() : w);
    }


    @Override
    public List<Worker> list() {
        return registry.all();
    }

    @Override
    public Worker get(Object workerOrId) {
        return registry.get(WorkerIds.idOf(workerOrId));
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
        // Not in the middle of a launch: every worker being stopped has been handed to the backend.
        synchronized (launchLock) {
            signalStop(ids, reason, grace);
        }
        awaitStopped(ids, grace);
    }

    private void signalStop(List<String> ids, String reason, Duration grace) {
        for (String workerId : ids) {
            if (registry.get(workerId).status().isFinal()) {
                continue;
            }
            stopReasons.putIfAbsent(workerId, reason);
            WorkerHandle handle = handles.get(workerId);
            if (handle != null) {
                try {
                    handle.stop(grace);
                } catch (RuntimeException e) {
                    // One worker's engine failing to stop it must not keep the others running.
                    if (console != null) {
                        console.print("[" + workerId + "] -- could not be stopped: " + e.getMessage());
                    }
                }
            } else {
                registry.update(workerId, w -> WorkerChanges.ended(w, Status.STOPPED, null, reason, registry.clock().instant()));
            }
        }
    }

    private void awaitStopped(List<String> ids, Duration grace) {
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
    public WorkQueue queue(String name) {
        return queue(name, QueueOptions.DEFAULTS);
    }

    @Override
    public WorkQueue queue(String name, QueueOptions options) {
        ensureOpen();
        QueueOptions actual = hub.queues.declare(name, options);
        if (!actual.equals(options) && !options.equals(QueueOptions.DEFAULTS)) {
            throw new CohortException("queue '" + name + "' already exists with " + actual + " (a worker may have used it"
                    + " first); declare it with its options before launching workers that use it");
        }
        return new SessionQueue(name, hub.queues,
                () -> registry.all().stream().anyMatch(w -> !w.status().isFinal()),
                console == null ? line -> { } : console::print);
    }

    @Override
    public List<WorkQueue> queues() {
        return hub.queues.names().stream().map(this::queue).toList();
    }

    @Override
    public List<LaunchRequest> interruptedLaunches() {
        List<LaunchRequest> requests = launches();
        List<LaunchRequest> out = new ArrayList<>();
        interruptedPerLaunch.forEach((launch, count) -> {
            LaunchRequest r = requests.get(launch - 1);
            out.add(new LaunchRequest(count, r.cpu(), r.memoryGb(), r.gpus(), r.program(), r.env()));
        });
        return out;
    }

    @Override
    public Results results() {
        return hub.results;
    }

    @Override
    public Snapshots snapshots() {
        return hub.snapshots;
    }

    @Override
    public String controlPlaneUrl() {
        return hub.controlPlane.url();
    }

    @Override
    public String controlPlaneToken() {
        return hub.controlPlane.token();
    }

    private Map<String, Object> describe(Worker w) {
        return WorkerJson.describe(w, requests.get(w.id()));
    }

    /** Queue progress for the session's event stream; published only when it changed. */
    private void publishQueueProgress() {
        for (String name : hub.queues.names()) {
            sessionEvents.queue(hub.queues.progress(name));
        }
    }

    @Override
    public boolean awaitClosed(Duration timeout) throws InterruptedException {
        if (timeout.isZero()) {
            closedLatch.await();
            return true;
        }
        return closedLatch.await(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Every launch of this session (before a resume too), in order. */
    List<LaunchRequest> launches() {
        List<LaunchRequest> out = new ArrayList<>();
        for (String json : hub.journal.launches()) {
            try {
                out.add(Json.MAPPER.readValue(json, LaunchRequest.class));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CohortException("a stored launch cannot be read back: " + e.getOriginalMessage(), e);
            }
        }
        return out;
    }

    /**
     * Loads the workers of a resumed session. Those that were still alive when it ended are marked
     * stopped (the guard ended them); their launches can be started again.
     */
    private void restoreWorkers() {
        List<LaunchRequest> requests = launches();
        launches = requests.size();
        Map<Integer, Integer> ranks = new java.util.HashMap<>();
        for (SessionJournal.StoredWorker w : hub.journal.workers()) {
            LaunchRequest r = requests.get(w.launch() - 1);
            int rank = ranks.merge(w.launch(), 1, Integer::sum) - 1;
            Status status = w.status();
            String reason = w.reason();
            if (!status.isFinal()) {
                status = Status.STOPPED;
                reason = INTERRUPTED;
                interruptedPerLaunch.merge(w.launch(), 1, Integer::sum);
            }
            registry.add(Worker.scheduling(w.id(), id, r.program().kernel(), r.program().describe(), r.cpu(), r.memoryGb(),
                    w.createdAt(), "launch-" + w.launch(), "worker", rank, r.service() != null).withEnd(status, w.exitCode(), reason, w.finishedAt())
                    .withHistory(w.ip(), w.pid(), w.startedAt(), w.finishedAt()));
            workerCount = Math.max(workerCount, Integer.parseInt(w.id().substring(1)));
        }
        hub.journal.interrupted(INTERRUPTED);
    }

    static final String INTERRUPTED = "interrupted: its session ended while it ran";

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
            // Each step runs even when one before it failed: nothing of the session may stay open.
            try {
                backend.close(grace);
            } finally {
                try {
                    hub.close();
                } finally {
                    if (console != null) {
                        console.close();
                    }
                    outputLog.close();
                    services.close();
                    sessionEvents.close();
                    closedLatch.countDown();
                }
            }
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
        List<String> wanted = workersOrIds.stream().map(WorkerIds::idOf).distinct().toList();
        wanted.forEach(registry::get);
        return registry.all().stream().map(Worker::id).filter(wanted::contains).toList();
    }

    private static String newId(String chosen) {
        if (chosen != null) {
            return chosen;
        }
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
        public void waiting(String why) {
            registry.update(workerId, w -> WorkerChanges.waiting(w, why));
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
        public void output(OutputLine.Stream stream, List<String> lines) {
            events.publish(new WorkerEvent.Output(workerId, stream, lines));
        }

        @Override
        public void exited(int exitCode, String reason) {
            String stopReason = stopReasons.get(workerId);
            Status status = stopReason != null && reason == null ? Status.STOPPED
                    : exitCode == 0 && reason == null && request.service() == null ? Status.SUCCEEDED : Status.FAILED;
            String why = reason != null ? reason : stopReason != null ? stopReason
                    : request.service() != null ? "the service ended (exit code " + exitCode + ") before it was stopped;"
                      + " services stay up until stopped"
                    : exitCode == 0 ? null : "exited with code " + exitCode;
            end(status, exitCode, why);
        }

        @Override
        public void failedToStart(String reason) {
            end(Status.FAILED, null, reason);
        }

        /** Only the end that makes the worker final gives its resources back, however many ends race. */
        private void end(Status status, Integer exitCode, String reason) {
            WorkerRegistry.Change change = registry.change(workerId,
                    w -> WorkerChanges.ended(w, status, exitCode, reason, registry.clock().instant()));
            if (change.ended()) {
                admission.release(request.cpu(), request.memoryGb(), request.gpus());
            }
        }
    }
}
