package io.cohort.local;

import io.cohort.SessionOptions;
import io.cohort.core.backend.Backend;
import io.cohort.core.backend.Capacity;
import io.cohort.core.backend.LoopbackAddresses;
import io.cohort.core.backend.WorkerHandle;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.worker.WorkerVariables;
import io.cohort.worker.internal.ProcTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Workers as local process trees: each in its own process session and cgroup (or, without
 * writable cgroups, its own pid namespace), with its own
 * loopback address and its own GPUs, watched by the session's orphan guard.
 */
final class LocalBackend implements Backend {
    private static final long WATCH_MILLIS = 200;
    /** Marks this run's worker processes (COHORT_GUARD) and names its cgroups. */
    private final String guardId;
    private final String masterAddress;
    private final Cgroups cgroups;
    private final PidNamespaces namespaces;
    private final Gpus gpus;
    private final LoopbackAddresses addresses = new LoopbackAddresses();
    private final Guard guard;
    /** Each worker's own network namespace (local.network=namespace), or null: a loopback address each. */
    private final NetNamespaces net;
    private final ScheduledExecutorService timers;
    private final Map<String, LocalWorker> running = new ConcurrentHashMap<>();

    LocalBackend(String sessionId, Path sessionDirectory, SessionOptions options) {
        // A resumed session keeps its id, while the guard of its previous run may still be sweeping:
        // each run marks its processes and names its cgroups with an id of its own.
        this.guardId = sessionId + "-" + java.util.HexFormat.of().toHexDigits(new java.security.SecureRandom().nextInt());
        LocalSettings settings = LocalSettings.from(options);
        this.net = settings.netNamespaces() ? NetNamespaces.open() : null;
        this.masterAddress = net != null ? net.bridgeAddress() : settings.masterIp();
        this.cgroups = Cgroups.detect(guardId, settings.cgroups() ? "auto" : "off", settings.pidsMax());
        this.namespaces = PidNamespaces.detect(settings.pidNamespace(), cgroups.holdsTrees());
        this.gpus = Gpus.discover(settings.nvidiaSmi(), System.getenv(WorkerVariables.CUDA_VISIBLE_DEVICES));
        this.guard = Guard.start(sessionDirectory, guardId, options.stopGrace(), cgroups.sessionDirectories(),
                net == null ? null : net.tag());
        this.timers = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "cohort-local-" + sessionId);
            t.setDaemon(true);
            return t;
        });
        if (!cgroups.enforcesMemory()) {
            timers.scheduleWithFixedDelay(this::watchMemory, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public Capacity capacity() {
        return new Capacity(Runtime.getRuntime().availableProcessors(), machineMemory(), gpus.count(), "this machine");
    }

    @Override
    public String masterAddress() {
        return masterAddress;
    }

    @Override
    public boolean addressPerWorker() {
        return true;
    }

    @Override
    public WorkerHandle start(WorkerSpec spec, WorkerSink sink) {
        NetNamespaces.Slot netSlot = null;
        if (net != null) {
            try {
                netSlot = net.create(spec.workerId());
            } catch (RuntimeException e) {
                sink.placed("unknown", List.of(), List.of());
                sink.failedToStart("cannot make its network namespace: " + e.getMessage());
                return grace -> { };
            }
        }
        NetNamespaces.Slot network = netSlot;
        String ip = network != null ? network.address() : addresses.next();
        List<Integer> gpuIndices;
        Cgroups.Slot slot;
        try {
            gpuIndices = gpus.take(spec.gpus(), spec.workerId());
        } catch (RuntimeException e) {
            sink.placed(ip, List.of(), List.of());
            sink.failedToStart(e.getMessage());
            return grace -> { };
        }
        try {
            slot = cgroups.create(spec.workerId(), spec.cpu(), spec.memoryBytes());
        } catch (IOException e) {
            gpus.give(gpuIndices);
            sink.placed(ip, List.of(), List.of());
            sink.failedToStart("cannot create its cgroup (" + cgroups.name() + "): " + e.getMessage()
                    + ". Set -Dcohort.local.cgroups=off to watch memory by RSS instead");
            return grace -> { };
        }
        Map<String, String> env = new HashMap<>(spec.env());
        env.put(WorkerVariables.CDSW_IP_ADDRESS, ip);
        if ("0".equals(env.get(WorkerVariables.RANK)) && !env.containsKey(WorkerVariables.MASTER_ADDR)) {
            // Rank 0 of its group is the master: its address is known only now.
            env.put(WorkerVariables.MASTER_ADDR, ip);
        }
        // Every process of a worker carries the id of its session's run.
        env.put(WorkerVariables.COHORT_GUARD, guardId);
        if (gpus.count() > 0) {
            String visible = gpuIndices.stream().map(String::valueOf).collect(Collectors.joining(","));
            env.put(WorkerVariables.CUDA_VISIBLE_DEVICES, visible);
            env.put(WorkerVariables.NVIDIA_VISIBLE_DEVICES, visible.isEmpty() ? "void" : visible);
        }
        sink.placed(ip, gpuIndices, notes(spec));
        WorkerSpec placed = new WorkerSpec(spec.sessionId(), spec.workerId(), spec.command(), env,
                spec.workingDirectory(), spec.cpu(), spec.memoryBytes(), spec.gpus());
        LocalWorker worker = new LocalWorker(placed, sink, slot, network == null ? List.of() : network.prefix(),
                namespaces.prefix(), guard, timers, () -> {
            running.remove(spec.workerId());
            gpus.give(gpuIndices);
            if (network != null) {
                net.remove(network.name());
            }
        });
        running.put(spec.workerId(), worker);
        worker.start();
        return worker;
    }

    private List<String> notes(WorkerSpec spec) {
        List<String> notes = new ArrayList<>();
        String mem = LocalWorker.megabytes(spec.memoryBytes());
        notes.add(cgroups.enforcesMemory() ? "memory limited to " + mem + " by " + cgroups.name()
                : "memory watched by RSS every " + WATCH_MILLIS + " ms (no writable cgroup memory controller): the tree"
                  + " is killed when it holds more than " + mem);
        String cores = String.format(java.util.Locale.ROOT, "%.2f", spec.cpu());
        notes.add(cgroups.enforcesCpu() ? "cpu limited to " + cores + " cores by " + cgroups.name() + " quota"
                : "cpu not limited: no writable cgroup cpu controller; " + cores + " cores are only reserved");
        if (cgroups.pidsLimit() > 0) {
            notes.add("at most " + cgroups.pidsLimit() + " processes and threads (local.pids) by " + cgroups.name());
        }
        if (net != null) {
            notes.add("its own network namespace on the session's bridge (local.network=namespace): its own 127.0.0.1"
                    + " and ports; it reaches the session at " + masterAddress);
        }
        if (namespaces.note() != null) {
            notes.add(namespaces.note());
        }
        return notes;
    }

    /** Each running worker's tree, from one read of /proc. */
    @Override
    public Map<String, io.cohort.core.backend.WorkerUsage> usage() {
        if (running.isEmpty()) {
            return Map.of();
        }
        List<ProcTable.Entry> table = ProcTable.read();
        Map<String, io.cohort.core.backend.WorkerUsage> out = new java.util.HashMap<>();
        running.forEach((id, w) -> {
            if (w.isRunning()) {
                out.put(id, w.usage(table));
            }
        });
        return out;
    }

    private void watchMemory() {
        if (running.isEmpty()) {
            return;
        }
        List<ProcTable.Entry> table = ProcTable.read();
        for (LocalWorker w : running.values()) {
            if (w.isRunning()) {
                long rss = w.residentBytes(table);
                if (rss > w.memoryLimit()) {
                    w.outOfMemory(rss);
                }
            }
        }
    }

    /** Total memory, or this JVM's cgroup limit where that is lower. */
    private static long machineMemory() {
        long total = Long.MAX_VALUE;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    total = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            total = Runtime.getRuntime().maxMemory() * 4;
        }
        for (Path limit : List.of(Path.of("memory.limit_in_bytes"), Path.of("memory.max"))) {
            String fs = limit.toString().endsWith("max") ? "cgroup2" : "cgroup";
            String controller = fs.equals("cgroup2") ? "" : "memory";
            String v = Cgroups.ownCgroup(fs, controller).map(p -> Cgroups.read(p.resolve(limit))).orElse("");
            if (v.matches("\\d+")) {
                total = Math.min(total, Long.parseLong(v));
            }
        }
        return total;
    }

    @Override
    public void close(Duration grace) {
        for (LocalWorker w : List.copyOf(running.values())) {
            w.stop(grace);
        }
        long deadline = System.nanoTime() + grace.plusSeconds(5).toNanos();
        while (!running.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (net != null) {
            net.close();
        }
        guard.close();
        cgroups.close();
        timers.shutdownNow();
    }
}
