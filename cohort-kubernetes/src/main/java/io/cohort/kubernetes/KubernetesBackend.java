package io.cohort.kubernetes;

import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.core.backend.AgentLink;
import io.cohort.core.backend.Agents;
import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.Background;
import io.cohort.core.backend.Capacity;
import io.cohort.core.backend.WorkerHandle;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.worker.WorkerVariables;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Workers as Kubernetes pods. Each worker is one pod whose program is cohort's agent; the agent calls
 * back to the session's control plane for the worker's command and environment, ships its output and
 * takes stops (see {@link io.cohort.worker.agent.Agent}), as on Slurm. Every pod is owned by one
 * ConfigMap per session, so deleting it (close, or by hand after a killed session) collects them all.
 * One watch on the session's pods, and a re-list every {@code kubernetes.resyncMillis}, tell why a
 * pod waits and how it ended when its agent could not say. Pods are created by one allocator thread
 * in batches, with at most {@code kubernetes.maxPending} created and not yet running.
 */
final class KubernetesBackend implements Backend {
    private final String sessionId;
    private final KubernetesSettings settings;
    private final KubernetesClient client;
    private final String namespace;
    private final PodFactory pods;
    private final Agents agents;
    private final String sessionLabel;
    private final ScheduledExecutorService timers;
    private final Thread allocator;
    private final Map<String, PodWorker> workers = new ConcurrentHashMap<>();
    private final Deque<PodWorker> queue = new ArrayDeque<>();
    private final Object lock = new Object();
    /** API calls this backend made, for the benchmark's per-worker count. */
    final AtomicLong apiCalls = new AtomicLong();
    private final java.nio.file.Path directory;
    private volatile io.cohort.core.backend.PipeGuard guard;
    private volatile Watch watch;
    private volatile OwnerReference owner;
    private volatile boolean closed;

    KubernetesBackend(BackendContext context) {
        this(context, null);
    }

    /** With a client of the caller's (tests): it is closed with the backend. */
    KubernetesBackend(BackendContext context, KubernetesClient given) {
        this.sessionId = context.sessionId();
        this.settings = KubernetesSettings.from(context.options());
        this.agents = context.agents();
        this.client = given != null ? given : connect(settings);
        String ns = settings.namespace() != null ? settings.namespace() : client.getNamespace();
        this.namespace = ns == null || ns.isBlank() ? "default" : ns;
        this.pods = new PodFactory(settings, namespace);
        this.sessionLabel = PodNames.labelValue(sessionId);
        this.directory = context.sessionDirectory().resolve("kubernetes");
        try {
            java.nio.file.Files.createDirectories(directory);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + directory, e);
        }
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cohort-kubernetes-" + sessionId);
            t.setDaemon(true);
            return t;
        });
        long resync = settings.resync().toMillis();
        // A re-list that fails is reported and the next one asks again: one failure must not end it.
        timers.scheduleWithFixedDelay(Background.reporting("the Kubernetes re-list of session " + sessionId + "'s pods",
                this::resync), resync, resync, TimeUnit.MILLISECONDS);
        this.allocator = new Thread(this::allocate, "cohort-kubernetes-allocator-" + sessionId);
        allocator.setDaemon(true);
        allocator.start();
    }

    static KubernetesClient connect(KubernetesSettings s) {
        try {
            Config config = s.kubeconfig() != null ? Config.fromKubeconfig(s.context(), s.kubeconfigFile())
                    : Config.autoConfigure(s.context());
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (RuntimeException e) {
            throw new CohortException("cannot configure the Kubernetes client from " + (s.kubeconfig() != null
                    ? s.kubeconfig() : "KUBECONFIG, ~/.kube/config or the pod's service account") + (s.context() == null ? ""
                    : " (context " + s.context() + ")") + ": " + e.getMessage() + "; check " + BackendContext.where("kubernetes.kubeconfig")
                    + " and kubernetes.context");
        }
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    /** Kubernetes queues what does not fit now; {@link #admit} asks it whether a launch may be created at all. */
    @Override
    public Capacity capacity() {
        return new Capacity(Double.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE, "Kubernetes namespace " + namespace);
    }

    @Override
    public String masterAddress() {
        return settings.masterAddress();
    }

    @Override
    public boolean workersOnOtherHosts() {
        return true;
    }

    String namespace() {
        return namespace;
    }

    String sessionLabel() {
        return sessionLabel;
    }

    /**
     * Before anything is created: GPUs on a cluster whose nodes have none, then a server-side dry run
     * of one worker's pod, which meets RBAC, quota, validation and a missing namespace as a real create would.
     */
    @Override
    public void admit(LaunchRequest request) {
        if (request.gpus() > 0) {
            checkGpus(request.gpus());
        }
        Pod pod = pods.pod(PodNames.pod(sessionId, "admit"), labels("admit", "admit"), null,
                Map.of(WorkerVariables.COHORT_WORKER_ID, "admit"), request.cpu(), WorkerSpec.bytes(request.memoryGb()), request.gpus());
        try {
            apiCalls.incrementAndGet();
            client.pods().inNamespace(namespace).resource(pod).dryRun().create();
        } catch (KubernetesClientException e) {
            throw new CohortException(Refusals.explain(e, namespace, "a pod of this launch (a dry run; nothing was created)"));
        }
        if (owner == null) {
            try {
                apiCalls.incrementAndGet();
                client.configMaps().inNamespace(namespace).resource(ownerObject()).dryRun().create();
            } catch (KubernetesClientException e) {
                throw new CohortException(Refusals.explain(e, namespace,
                        "the session's owner ConfigMap (a dry run; nothing was created)"));
            }
        }
    }

    private void checkGpus(int gpus) {
        List<Node> nodes;
        try {
            apiCalls.incrementAndGet();
            nodes = client.nodes().list().getItems();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                return; // Nodes are cluster-wide; a namespaced Role may not list them. The scheduler will say.
            }
            throw new CohortException(Refusals.explain(e, namespace, "the list of nodes (to find GPUs)"));
        }
        List<String> seen = new ArrayList<>();
        for (Node n : nodes) {
            Map<String, String> labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
            if (!labels.entrySet().containsAll(settings.nodeSelector().entrySet())) {
                continue;
            }
            Quantity q = n.getStatus() == null || n.getStatus().getAllocatable() == null ? null
                    : n.getStatus().getAllocatable().get(PodFactory.GPU);
            long have = q == null ? 0 : q.getNumericalAmount().longValue();
            seen.add(n.getMetadata().getName() + "=" + have);
            if (have >= gpus) {
                return;
            }
        }
        throw new CohortException("Kubernetes cannot run a worker with " + gpus + " GPU" + (gpus == 1 ? "" : "s") + ": no node"
                + (settings.nodeSelector().isEmpty() ? "" : " matching kubernetes.nodeSelector " + settings.nodeSelector())
                + " has that much " + PodFactory.GPU + " allocatable (nodes: " + (seen.isEmpty() ? "none" : String.join(", ", seen))
                + "); ask for fewer GPUs (0 on a cluster without them), or install the NVIDIA device plugin");
    }

    private Map<String, String> labels(String launch, String worker) {
        Map<String, String> l = new HashMap<>();
        l.put(PodNames.SESSION, sessionLabel);
        l.put(PodNames.LAUNCH, PodNames.labelValue(launch));
        l.put(PodNames.WORKER, PodNames.labelValue(worker));
        return l;
    }

    @Override
    public WorkerHandle start(WorkerSpec spec, WorkerSink sink) {
        if (closed) {
            throw new IllegalStateException("the Kubernetes backend of session " + sessionId + " is closed");
        }
        Map<String, String> env = new HashMap<>(spec.env());
        // What belongs to the pod: its address (downward API), the GPUs the device plugin gave it,
        // the cluster's service variables (a session in a pod has its own).
        env.remove(WorkerVariables.CDSW_IP_ADDRESS);
        env.keySet().removeIf(k -> WorkerVariables.GPU_VARIABLES.contains(k) || k.startsWith("KUBERNETES_"));
        if (spec.gpus() == 0) {
            env.put(WorkerVariables.CUDA_VISIBLE_DEVICES, "");
            env.put(WorkerVariables.NVIDIA_VISIBLE_DEVICES, "void");
        }
        WorkerSpec placed = new WorkerSpec(spec.sessionId(), spec.workerId(), spec.command(), env,
                spec.workingDirectory(), spec.cpu(), spec.memoryBytes(), spec.gpus());
        List<String> notes = new CopyOnWriteArrayList<>();
        AgentLink link = agents.expect(placed, sink, notes);
        // The agent needs every COHORT_* variable the session gives (its API, its credential, and what else
        // the control plane adds); the worker's own environment comes from the control plane.
        Map<String, String> agentEnv = new HashMap<>();
        spec.env().forEach((k, v) -> {
            if (k.startsWith("COHORT_")) {
                agentEnv.put(k, v);
            }
        });
        agentEnv.put(WorkerVariables.COHORT_WORKER_ID, spec.workerId());
        agentEnv.put(WorkerVariables.COHORT_AGENT_GIVE_UP_MS, Long.toString(settings.agentGiveUp().toMillis()));
        String launch = spec.env().getOrDefault(WorkerVariables.COHORT_GROUP, "launch");
        String name = PodNames.pod(sessionId, spec.workerId());
        PodWorker w = new PodWorker(name, spec, link, sink, notes, agentEnv, labels(launch, spec.workerId()));
        workers.put(name, w);
        synchronized (lock) {
            queue.add(w);
            lock.notifyAll();
        }
        sink.waiting("queued for Kubernetes as pod " + name + " in namespace " + namespace);
        return w;
    }

    private ConfigMap ownerObject() {
        return new ConfigMapBuilder().withNewMetadata().withName(PodNames.owner(sessionId)).withNamespace(namespace)
                .addToLabels(PodNames.SESSION, sessionLabel).addToLabels(PodNames.OWNER, "true").endMetadata()
                .addToData("session", sessionId)
                .addToData("note", "cohort session " + sessionId + " owns its worker pods through this object; deleting it deletes them")
                .build();
    }

    /** The session's owner object, made on the first pod: every pod's ownerReference points at it. */
    private synchronized OwnerReference owner() {
        OwnerReference o = owner;
        if (o != null) {
            return o;
        }
        ConfigMap cm = ownerObject();
        apiCalls.incrementAndGet();
        if (settings.guard() && guard == null) {
            // Before the owner exists: a session killed right after making it still has it deleted.
            guard = KubernetesGuard.start(settings, namespace, cm.getMetadata().getName(), sessionLabel, directory.resolve("guard.log"));
        }
        ConfigMap made = client.configMaps().inNamespace(namespace).resource(cm).create();
        o = new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap").withName(made.getMetadata().getName())
                .withUid(made.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(false).build();
        owner = o;
        return o;
    }

    /** Pods created whose workers have not started. */
    private int pending() {
        int n = 0;
        for (PodWorker w : workers.values()) {
            if (w.created && !w.done && !w.link.started()) {
                n++;
            }
        }
        return n;
    }

    /** Creates queued pods, a batch at a time, never more than maxPending not yet running. */
    private void allocate() {
        while (!closed) {
            List<PodWorker> batch = new ArrayList<>();
            synchronized (lock) {
                int room = settings.maxPending() - pending();
                if (queue.isEmpty() || room <= 0) {
                    try {
                        // Woken by start(), by each agent's start (through the watch) and by ends.
                        lock.wait(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
                while (batch.size() < Math.min(room, settings.batchSize()) && !queue.isEmpty()) {
                    batch.add(queue.poll());
                }
            }
            for (PodWorker w : batch) {
                create(w);
            }
        }
    }

    private void create(PodWorker w) {
        synchronized (w) {
            if (w.done || closed) {
                return;
            }
            w.created = true;
        }
        OwnerReference ref;
        try {
            ref = owner();
        } catch (KubernetesClientException e) {
            w.end(1, Refusals.explain(e, namespace, "the session's owner ConfigMap " + PodNames.owner(sessionId)));
            return;
        } catch (RuntimeException e) {
            // The allocator carries on: one worker's failure must not strand the others.
            w.end(1, "cannot create the session's owner ConfigMap " + PodNames.owner(sessionId) + ": " + e.getMessage());
            return;
        }
        try {
            ensureWatch();
            Pod pod = pods.pod(w.name, w.labels, ref, w.agentEnv, w.spec.cpu(), w.spec.memoryBytes(), w.spec.gpus());
            apiCalls.incrementAndGet();
            client.pods().inNamespace(namespace).resource(pod).create();
            w.createdAt = System.nanoTime();
            if (w.done) {
                // Stopped while its create was on the way: its agent would be refused its spec anyway.
                w.deletedBySession = true;
                deletePod(w.name);
                return;
            }
            w.notes.add("Kubernetes pod " + w.name + " in namespace " + namespace + ": "
                    + PodFactory.describe(w.spec.cpu(), w.spec.memoryBytes(), w.spec.gpus(), settings.cpuLimit()));
            w.say("created as pod " + w.name + " in namespace " + namespace);
        } catch (KubernetesClientException e) {
            w.end(1, Refusals.explain(e, namespace, "pod " + w.name));
        } catch (RuntimeException e) {
            w.end(1, "cannot create pod " + w.name + ": " + e.getMessage());
        }
    }

    private void ensureWatch() {
        if (watch != null || closed) {
            return;
        }
        synchronized (this) {
            if (watch != null || closed) {
                return;
            }
            apiCalls.incrementAndGet();
            try {
                watch = openWatch();
            } catch (KubernetesClientException e) {
                // No watch for now: the re-list keeps every worker current and tries the watch again.
                watch = null;
            }
        }
    }

    private Watch openWatch() {
        return client.pods().inNamespace(namespace).withLabel(PodNames.SESSION, sessionLabel).watch(new Watcher<Pod>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                PodWorker w = workers.get(pod.getMetadata().getName());
                if (w == null) {
                    return;
                }
                if (action == Action.DELETED) {
                    w.gone();
                } else {
                    w.observe(pod);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                // The next re-list opens a new watch; meanwhile the re-list itself keeps workers current.
                watch = null;
            }
        });
    }

    /** Lists the session's pods: what the watch may have missed, pods gone, agents that never called. */
    private void resync() {
        if (closed || workers.isEmpty()) {
            return;
        }
        ensureWatch();
        long listedAt = System.nanoTime();
        apiCalls.incrementAndGet();
        List<Pod> listed = client.pods().inNamespace(namespace).withLabel(PodNames.SESSION, sessionLabel).list().getItems();
        Set<String> present = new HashSet<>();
        for (Pod p : listed) {
            present.add(p.getMetadata().getName());
            PodWorker w = workers.get(p.getMetadata().getName());
            if (w != null) {
                w.observe(p);
            }
        }
        for (PodWorker w : List.copyOf(workers.values())) {
            if (w.created && w.createdAt != 0 && w.createdAt < listedAt && !present.contains(w.name)) {
                w.gone();
            }
            w.checkTimeout();
        }
    }

    private void deletePod(String name) {
        try {
            apiCalls.incrementAndGet();
            client.pods().inNamespace(namespace).withName(name).delete();
        } catch (KubernetesClientException e) {
            // Gone already, or the server is away: close() deletes the session's pods by label and the owner.
        }
    }

    /** One worker's pod. */
    private final class PodWorker implements WorkerHandle {
        final String name;
        final WorkerSpec spec;
        final AgentLink link;
        final WorkerSink sink;
        final List<String> notes;
        final Map<String, String> agentEnv;
        final Map<String, String> labels;
        volatile boolean created;
        volatile boolean done;
        volatile long createdAt;
        volatile long scheduledAt;
        volatile boolean stopRequested;
        volatile boolean deletedBySession;
        String lastWait;
        String lastState;

        PodWorker(String name, WorkerSpec spec, AgentLink link, WorkerSink sink, List<String> notes,
                  Map<String, String> agentEnv, Map<String, String> labels) {
            this.name = name;
            this.spec = spec;
            this.link = link;
            this.sink = sink;
            this.notes = notes;
            this.agentEnv = agentEnv;
            this.labels = labels;
        }

        synchronized void say(String why) {
            if (!link.started() && !link.ended() && !why.equals(lastWait)) {
                lastWait = why;
                sink.waiting(why);
            }
        }

        /**
         * A running program is stopped by its agent (SIGTERM to its tree, SIGKILL after the grace); the
         * pod is deleted if the agent has not reported the end soon after. A pod not yet running is deleted.
         */
        @Override
        public void stop(Duration grace) {
            stopRequested = true;
            link.requestStop(grace);
            boolean wasQueued;
            synchronized (lock) {
                wasQueued = queue.remove(this);
                lock.notifyAll();
            }
            if (wasQueued || !link.started()) {
                // The agent, should the pod start meanwhile, is refused its spec: it runs nothing.
                link.endedWithoutAgent(143, null);
                boolean hadPod = created;
                finish();
                if (hadPod) {
                    deletedBySession = true;
                    deletePod(name);
                }
                return;
            }
            timers.schedule(Background.reporting("the delete of pod " + name + " after its stop", () -> {
                if (!link.ended()) {
                    deletedBySession = true;
                    deletePod(name);
                }
            }), grace.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        }

        void observe(Pod pod) {
            if (done) {
                return;
            }
            PodState s = PodState.of(pod);
            if (s.scheduled() && scheduledAt == 0) {
                scheduledAt = System.nanoTime();
            }
            lastState = s.words();
            switch (s.kind()) {
                case WAITING -> say(s.words());
                case RUNNING -> {
                    say(s.words());
                    // Its agent is about to call: the allocator looks for room again (it also looks every 200 ms).
                    wake();
                }
                case ENDED -> {
                    boolean neverRan = s.exitCode() < 0 && !link.started();
                    // Reported before any delete: the delete's own watch event must not tell another story.
                    end(s.exitCode() >= 0 ? s.exitCode() : 1, s.words());
                    if (neverRan && pod.getMetadata().getDeletionTimestamp() == null) {
                        // A bad image, or a container that cannot be made: the pod would wait for ever.
                        deletedBySession = true;
                        deletePod(name);
                    }
                }
                default -> { }
            }
        }

        /** The pod is gone: deleted by the session, or by someone else. */
        void gone() {
            if (done) {
                return;
            }
            if (deletedBySession || stopRequested || closed) {
                end(143, null);
            } else {
                end(-1, "pod " + name + " was deleted outside the session (kubectl delete, a node drain, or its node was"
                        + " lost)" + (lastState == null ? "" : "; it was last seen as: " + lastState));
            }
        }

        /** A scheduled pod whose agent has not called within kubernetes.startTimeoutSeconds is deleted. */
        void checkTimeout() {
            if (done || link.started() || scheduledAt == 0) {
                return;
            }
            if (System.nanoTime() - scheduledAt > settings.startTimeout().toNanos()) {
                deletedBySession = true;
                // Reported before the delete: the delete's own watch event must not tell another story.
                end(1, "pod " + name + "'s agent did not call the session within " + settings.startTimeout().toSeconds()
                        + " s of the pod being scheduled (kubernetes.startTimeoutSeconds); it was deleted. Last seen: "
                        + lastState + ". Check that pods reach the session at " + settings.masterAddress()
                        + " (kubernetes.masterIp) and that the image has java and the agent (kubernetes.agentCommand)");
                deletePod(name);
            }
        }

        void end(int code, String reason) {
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
            }
            wake();
            if (link.ended()) {
                return;
            }
            // A pod the session itself stopped ends as stopped, with the stop's reason.
            link.endedWithoutAgent(code == 0 && !stopRequested ? 1 : code, stopRequested ? null : reason);
        }

        private void finish() {
            synchronized (this) {
                done = true;
            }
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    /** Pods that run or ended free room for more: the allocator is told. */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public void close(Duration grace) {
        if (closed) {
            return;
        }
        closed = true;
        allocator.interrupt();
        timers.shutdownNow();
        synchronized (lock) {
            queue.clear();
        }
        try {
            for (PodWorker w : workers.values()) {
                if (!w.link.ended()) {
                    w.link.requestStop(grace);
                }
            }
            Watch w = watch;
            if (w != null) {
                w.close();
            }
            long graceSeconds = Math.max(1, grace.toSeconds());
            // Always, even when no pod is known: a create may have reached the server and failed to answer.
            apiCalls.incrementAndGet();
            client.pods().inNamespace(namespace).withLabel(PodNames.SESSION, sessionLabel).withGracePeriod(graceSeconds).delete();
            apiCalls.incrementAndGet();
            client.configMaps().inNamespace(namespace).withName(PodNames.owner(sessionId)).delete();
            awaitNoPods(grace.plusSeconds(30));
        } catch (KubernetesClientException e) {
            // The API server did not answer; the agents give up, activeDeadlineSeconds is the last bound,
            // and deleting the owner ConfigMap by hand collects the pods (docs/kubernetes.md).
        } finally {
            for (PodWorker w : workers.values()) {
                if (!w.link.ended()) {
                    w.link.endedWithoutAgent(143, null);
                }
            }
            if (guard != null) {
                guard.close();
            }
            client.close();
        }
    }

    /** Waits until the session's pods are gone from the API server. */
    private void awaitNoPods(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline) {
            apiCalls.incrementAndGet();
            if (client.pods().inNamespace(namespace).withLabel(PodNames.SESSION, sessionLabel).list().getItems().isEmpty()) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
