package io.cohort.local;

import io.cohort.OutputLine;
import io.cohort.core.backend.WorkerHandle;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.worker.WorkerVariables;
import io.cohort.worker.internal.LineSplitter;
import io.cohort.worker.internal.ProcTable;
import io.cohort.worker.internal.ProcessTree;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One worker as a local process tree. Its first process starts in a session of its own (so its
 * pid is also its process group and session id), joins its cgroups, then execs the program. Its
 * tree is everything in its cgroups, its process group or session, or carrying its id in the
 * environment; stopping and finishing act on the whole tree. Without writable cgroups its first
 * process is {@code unshare}, which makes a pid namespace whose init runs the program (see
 * {@link PidNamespaces}): the tree then also holds whatever escaped both session and environment.
 */
final class LocalWorker implements WorkerHandle {
    /** Joins the cgroups named by the first arguments (a count, then the cgroup.procs files). */
    private static final String JOIN = "n=$1; shift; while [ \"$n\" -gt 0 ]; do"
            + " echo $$ > \"$1\" || { echo \"cohort: cannot join cgroup $1\" >&2; exit 125; }; shift; n=$((n-1)); done;";
    /** Joins, then execs the rest. */
    private static final String JOIN_AND_EXEC = JOIN + " exec \"$@\"";
    /**
     * In a pid namespace of its own, the first process (pid 1, the namespace's init) joins the same
     * way, then runs the program as its child rather than exec'ing it: an init gets only the signals
     * it handles, so a program that is pid 1 would ignore the SIGTERM of a stop. It waits and exits
     * with the program's status, and its exit ends whatever is left in the namespace. Its own stderr
     * is /dev/null, so the shell's reports of a killed child ("Terminated") stay out of the output.
     */
    private static final String JOIN_AND_RUN = JOIN + " exec 3>&2 2>/dev/null; (exec \"$@\") 2>&3 3>&-; exit $?";
    private static final Duration LEFTOVER_GRACE = Duration.ofSeconds(1);

    private final WorkerSpec spec;
    private final WorkerSink sink;
    private final Cgroups.Slot slot;
    /** unshare's words for a pid namespace of its own, or empty (see {@link PidNamespaces}). */
    private final List<String> namespace;
    private final Guard guard;
    private final ScheduledExecutorService timers;
    /** Threads that report ended workers: one is busy only while a worker's end is being reported. */
    private static final java.util.concurrent.ExecutorService REAPING = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cohort-reap");
        t.setDaemon(true);
        return t;
    });
    private final Runnable onEnd;
    /** How this worker's tree is ended: what {@link #members()} finds, TERM then KILL. */
    private final ProcessTree tree = ProcessTree.of(this::members);
    /** What runs first, in the same process (nsenter into the worker's network namespace), or nothing. */
    private final List<String> launcher;
    private volatile Process process;
    private volatile boolean ended;
    private volatile String outOfMemory;

    LocalWorker(WorkerSpec spec, WorkerSink sink, Cgroups.Slot slot, List<String> launcher, List<String> namespace, Guard guard,
                ScheduledExecutorService timers, Runnable onEnd) {
        this.launcher = List.copyOf(launcher);
        this.spec = spec;
        this.sink = sink;
        this.slot = slot;
        this.namespace = List.copyOf(namespace);
        this.guard = guard;
        this.timers = timers;
        this.onEnd = onEnd;
    }

    /** Starts the process; a start that fails is reported to the sink, not thrown. */
    void start() {
        // The launcher (nsenter into its network namespace) execs setsid in the same process.
        List<String> command = new java.util.ArrayList<>(launcher);
        command.add("setsid");
        command.addAll(namespace);
        command.addAll(List.of("/bin/sh", "-c", namespace.isEmpty() ? JOIN_AND_EXEC : JOIN_AND_RUN, "cohort-worker"));
        command.add(Integer.toString(slot.procsFiles().size()));
        slot.procsFiles().forEach(p -> command.add(p.toString()));
        command.addAll(spec.command());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(spec.workingDirectory().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(spec.env());
        try {
            process = builder.start();
        } catch (IOException e) {
            finish();
            sink.failedToStart("cannot start " + spec.command().get(0) + ": " + e.getMessage());
            return;
        }
        guard.track(process.pid());
        sink.running(process.pid());
        Thread out = pump(process.getInputStream(), OutputLine.Stream.STDOUT);
        Thread err = pump(process.getErrorStream(), OutputLine.Stream.STDERR);
        // No thread of ours waits for the exit: the JDK's own waits anyway, and completes onExit.
        process.onExit().whenCompleteAsync((p, e) -> reap(out, err), REAPING);
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    boolean isRunning() {
        return process != null && !ended;
    }

    long memoryLimit() {
        return spec.memoryBytes();
    }

    private Thread pump(InputStream in, OutputLine.Stream stream) {
        Thread t = new Thread(() -> {
            try (in) {
                LineSplitter.pumpBatches(in, lines -> sink.output(stream, lines));
            } catch (IOException e) {
                // The stream was closed under us after the worker ended.
            }
        }, "cohort-" + stream.name().toLowerCase() + "-" + spec.workerId());
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void reap(Thread out, Thread err) {
        int exit;
        try {
            exit = process.waitFor();
            // Nothing outlives its worker: children it left behind go too.
            if (!members().isEmpty()) {
                terminate(LEFTOVER_GRACE, true);
            }
            // Every line before the exit: once the tree is gone its pipes reach EOF, and a pump may only
            // be waiting for a slow console. Bounded only for a writer outside the tree we cannot see.
            long wait = members().isEmpty() ? 600_000 : 5_000;
            out.join(wait);
            err.join(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String reason = outOfMemory;
        if (reason == null && exit != 0 && slot.oomKilled()) {
            reason = String.format("out of memory: it used more than its %s limit, and the kernel's OOM killer ended it",
                    megabytes(spec.memoryBytes()));
        }
        finish();
        sink.exited(exit, reason);
    }

    private void finish() {
        ended = true;
        if (process != null) {
            guard.untrack(process.pid());
        }
        slot.remove();
        onEnd.run();
    }

    @Override
    public void stop(Duration grace) {
        if (isRunning()) {
            terminate(grace, false);
        }
    }

    /**
     * SIGTERM to the whole tree now, SIGKILL to whatever is left after the grace period: waited for
     * here ({@code here}, the reaper ending leftovers) or on a timer (a stop, which returns at once).
     */
    private void terminate(Duration grace, boolean here) {
        if (here) {
            tree.stop(grace);
        } else if (grace.isZero()) {
            tree.signal(ProcessTree.Signal.TERM);
            kill();
        } else {
            tree.signal(ProcessTree.Signal.TERM);
            timers.schedule(this::kill, grace.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** SIGKILL until nothing of the tree is left. */
    private void kill() {
        if (ended) {
            // The reaper already ended the tree; a late timer must not hit a process that reused its ids.
            return;
        }
        tree.kill();
    }

    /** Called by the memory watch when the tree's resident memory passes the limit. */
    void outOfMemory(long rssBytes) {
        if (outOfMemory == null && isRunning()) {
            outOfMemory = String.format("out of memory: its processes held %s, more than its %s limit (watched by RSS)",
                    megabytes(rssBytes), megabytes(spec.memoryBytes()));
            timers.execute(this::kill);
        }
    }

    /**
     * Every live process of this worker's tree: its cgroup's processes where it has one (every
     * descendant is born there); else its process group and session, whatever carries its mark,
     * and in a pid namespace of its own every descendant (an orphan there is adopted by the
     * namespace's init, never by a process outside the tree).
     */
    Set<Long> members() {
        Set<Long> pids = new TreeSet<>(slot.pids());
        if (process == null || slot.holdsTree()) {
            pids.remove(ProcessHandle.current().pid());
            return pids;
        }
        long root = process.pid();
        String sessionMark = WorkerVariables.COHORT_GUARD + "=" + spec.env().get(WorkerVariables.COHORT_GUARD);
        String workerMark = WorkerVariables.COHORT_WORKER_ID + "=" + spec.workerId();
        List<ProcTable.Entry> table = ProcTable.read();
        Set<Long> below = namespace.isEmpty() ? Set.of() : ProcTable.descendants(table, root);
        for (ProcTable.Entry e : table) {
            if (e.session() == root || e.processGroup() == root || below.contains(e.pid())
                    || (ProcTable.hasVariable(e.pid(), workerMark) && ProcTable.hasVariable(e.pid(), sessionMark))) {
                pids.add(e.pid());
            }
        }
        pids.remove(ProcessHandle.current().pid());
        pids.removeIf(p -> ProcessHandle.of(p).isEmpty());
        return pids;
    }

    /** Resident memory of the tree's process group and session, and in a pid namespace of all its processes. */
    long residentBytes(List<ProcTable.Entry> table) {
        long root = pid();
        Set<Long> below = namespace.isEmpty() ? Set.of() : ProcTable.descendants(table, root);
        long sum = 0;
        for (ProcTable.Entry e : table) {
            if (e.session() == root || e.processGroup() == root || below.contains(e.pid())) {
                sum += e.rssBytes();
            }
        }
        return sum;
    }

    /** What the tree uses now: CPU time so far and resident memory, of the same processes as {@link #residentBytes}. */
    io.cohort.core.backend.WorkerUsage usage(List<ProcTable.Entry> table) {
        long root = pid();
        Set<Long> below = namespace.isEmpty() ? Set.of() : ProcTable.descendants(table, root);
        long rss = 0;
        long ticks = 0;
        for (ProcTable.Entry e : table) {
            if (e.session() == root || e.processGroup() == root || below.contains(e.pid())) {
                rss += e.rssBytes();
                ticks += e.cpuTicks();
            }
        }
        return new io.cohort.core.backend.WorkerUsage(ticks / ProcTable.TICKS_PER_SECOND, rss);
    }

    static String megabytes(long bytes) {
        return (bytes / (1024 * 1024)) + " MB";
    }
}
