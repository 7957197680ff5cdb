package io.cohort.slurm;

import io.cohort.CohortException;
import io.cohort.LaunchRequest;
import io.cohort.core.backend.AgentLink;
import io.cohort.core.backend.Agents;
import io.cohort.core.backend.Backend;
import io.cohort.core.backend.BackendContext;
import io.cohort.core.backend.Capacity;
import io.cohort.core.backend.LoopbackAddresses;
import io.cohort.core.backend.WorkerHandle;
import io.cohort.core.backend.WorkerSink;
import io.cohort.core.backend.WorkerSpec;
import io.cohort.worker.WorkerVariables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Workers as Slurm jobs. Each worker is one batch job whose program is cohort's agent; the agent
 * calls back to the session's control plane for the worker's command and environment, ships its
 * output, and takes stops (see {@link io.cohort.worker.agent.Agent}). One thread asks squeue about all of
 * the session's jobs (they share the job name {@code cohort-<session>}) to report why a job waits and
 * how a job ended when its agent could not say.
 *
 * <p>Submissions run on a few threads of their own ({@link #SUBMITTERS}), so that a launch of many
 * workers does not wait for one sbatch after another (each about 8 ms, mostly waiting for
 * slurmctld): {@link #start} returns once the batch script is written, and the job's id, or sbatch's
 * refusal, reaches the worker when sbatch answers. A worker stopped before its sbatch ran is never
 * submitted; one stopped while its sbatch runs is cancelled as soon as its id is known; close()
 * waits for the sbatch calls in flight before it cancels the session's jobs by name.
 */
final class SlurmBackend implements Backend {
    /** Polls after submission that a job may be missing from squeue before it counts as gone. */
    private static final int MISSING_POLLS = 20;
    /** Consecutive polls a job that squeue showed before may be missing before it counts as gone. */
    private static final int MISSING_POLLS_SEEN = 5;
    /** A started worker whose agent called this recently is alive, whatever squeue says. */
    private static final Duration AGENT_ALIVE = Duration.ofSeconds(30);
    /** sbatch calls in flight at once: slurmctld answers them in parallel, and each costs little CPU here. */
    static final int SUBMITTERS = 4;
    /** How long a job pends before the worker says why it waits. */
    private static final Duration QUIET_PENDING = Duration.ofSeconds(1);
    private final String sessionId;
    private final String jobName;
    private final Path jobsDirectory;
    private final SlurmSettings settings;
    private final SlurmCommands commands;
    private final Agents agents;
    private final LoopbackAddresses loopback;
    private final io.cohort.core.backend.PipeGuard guard;
    private final ScheduledExecutorService timers;
    private final java.util.concurrent.ExecutorService submitter;
    private final Map<String, SlurmJob> jobs = new ConcurrentHashMap<>();
    private volatile boolean closed;

    SlurmBackend(BackendContext context) {
        this.sessionId = context.sessionId();
        this.jobName = "cohort-" + context.sessionId();
        this.settings = SlurmSettings.from(context.options());
        this.commands = new SlurmCommands(settings);
        this.agents = context.agents();
        this.jobsDirectory = context.sessionDirectory().resolve("slurm");
        this.loopback = isLoopback(settings.masterAddress()) ? new LoopbackAddresses() : null;
        try {
            Files.createDirectories(jobsDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + jobsDirectory, e);
        }
        SlurmCommands.Outcome version = commands.run(List.of("sbatch", "--version"));
        if (!version.ok()) {
            throw new CohortException("sbatch does not work here: " + version.message());
        }
        this.guard = settings.guard() ? SlurmGuard.start(commands, jobName, jobsDirectory.resolve("guard.log")) : null;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cohort-slurm-" + sessionId);
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.atomic.AtomicInteger submitters = new java.util.concurrent.atomic.AtomicInteger();
        this.submitter = Executors.newFixedThreadPool(SUBMITTERS, r -> {
            Thread t = new Thread(r, "cohort-sbatch-" + sessionId + "-" + submitters.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        long poll = settings.poll().toMillis();
        // A poll that fails is reported and the next one asks again: one failure must not end polling.
        timers.scheduleWithFixedDelay(io.cohort.core.backend.Background.reporting("the Slurm poller (squeue for " + jobName + ")",
                this::pollJobs), poll, poll, TimeUnit.MILLISECONDS);
    }

    private static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new CohortException("cohort.slurm.masterIp is '" + address + "', which is not an address of this host;"
                    + " set it to the address compute nodes reach this machine by");
        }
    }

    @Override
    public String name() {
        return "slurm";
    }

    /** Slurm queues what does not fit now; {@link #admit} asks it whether a launch can ever fit. */
    @Override
    public Capacity capacity() {
        return new Capacity(Double.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE, "the Slurm cluster");
    }

    @Override
    public String masterAddress() {
        return settings.masterAddress();
    }

    /** Jobs run on the cluster's nodes, unless the session's address is loopback (a one-machine cluster). */
    @Override
    public boolean workersOnOtherHosts() {
        return loopback == null;
    }

    /** Asks Slurm, without submitting anything, whether one worker of this launch could ever run. */
    @Override
    public void admit(LaunchRequest request) {
        List<String> test = new ArrayList<>(List.of("sbatch", "--test-only"));
        test.addAll(resourceOptions(request.cpu(), WorkerSpec.bytes(request.memoryGb()), request.gpus()));
        test.addAll(placementOptions());
        test.add("--wrap=true");
        SlurmCommands.Outcome o = commands.run(test);
        if (!o.ok()) {
            throw new CohortException(refusal(o.message(), request));
        }
    }

    /** Slurm's refusal, with what to change. */
    private String refusal(String message, LaunchRequest r) {
        String lower = message.toLowerCase(Locale.ROOT);
        String launch = "Slurm refused the launch (" + message + "): ";
        if (lower.contains("invalid partition")) {
            return launch + "cohort.slurm.partition is '" + settings.partition() + "'; partitions here: " + partitions();
        }
        if (lower.contains("node configuration is not available") || lower.contains("memory specification")) {
            return launch + String.format(Locale.ROOT, "no node can give one worker %s CPU, %s GB and %d GPU(s); nodes"
                    + " (name cpus memory_mb gres): %s. Ask for less per worker", fmt(r.cpu()), fmt(r.memoryGb()),
                    r.gpus(), nodes());
        }
        if (lower.contains("gres")) {
            return launch + "this cluster has no GPUs as a generic resource ('gpu' in gres.conf); ask for 0 GPUs";
        }
        if (lower.contains("account")) {
            return launch + "check cohort.slurm.account ('" + settings.account() + "') with sacctmgr show assoc user=$USER";
        }
        if (lower.contains("time limit")) {
            return launch + "cohort.slurm.time is '" + settings.timeLimit() + "'; ask for less, or use another partition";
        }
        return launch + "check cohort.slurm.* settings (partition, account, time, sbatchOptions)";
    }

    private String partitions() {
        SlurmCommands.Outcome o = commands.run(List.of("sinfo", "--noheader", "-o", "%P"));
        return o.ok() ? String.join(", ", o.out().strip().split("\\s+")) : "(sinfo failed: " + o.message() + ")";
    }

    private String nodes() {
        List<String> c = new ArrayList<>(List.of("sinfo", "--noheader", "-N", "-o", "%N %c %m %G"));
        if (settings.partition() != null) {
            c.add("--partition=" + settings.partition());
        }
        SlurmCommands.Outcome o = commands.run(c);
        return o.ok() ? String.join("; ", o.out().strip().split("\n")) : "(sinfo failed: " + o.message() + ")";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** CPU, memory and GPUs in Slurm's terms: whole CPUs, megabytes, gres. */
    static List<String> resourceOptions(double cpu, long memoryBytes, int gpus) {
        List<String> o = new ArrayList<>();
        o.add("--cpus-per-task=" + cpusFor(cpu));
        o.add("--mem=" + Math.max(1, (memoryBytes + (1 << 20) - 1) >> 20) + "M");
        if (gpus > 0) {
            o.add("--gres=gpu:" + gpus);
        }
        return o;
    }

    static int cpusFor(double cpu) {
        return (int) Math.max(1, Math.ceil(cpu - 1e-9));
    }

    private List<String> placementOptions() {
        List<String> o = new ArrayList<>();
        if (settings.partition() != null) {
            o.add("--partition=" + settings.partition());
        }
        if (settings.account() != null) {
            o.add("--account=" + settings.account());
        }
        if (settings.timeLimit() != null) {
            o.add("--time=" + settings.timeLimit());
        }
        o.addAll(settings.sbatchOptions());
        return o;
    }

    @Override
    public WorkerHandle start(WorkerSpec spec, WorkerSink sink) {
        if (closed) {
            throw new IllegalStateException("the Slurm backend of session " + sessionId + " is closed");
        }
        Map<String, String> env = new HashMap<>(spec.env());
        // The session's own allocation and GPUs (a session inside salloc, or on a GPU host) are not the job's.
        env.keySet().removeIf(k -> k.startsWith("SLURM_") || WorkerVariables.GPU_VARIABLES.contains(k));
        if (spec.gpus() == 0) {
            env.put(WorkerVariables.CUDA_VISIBLE_DEVICES, "");
            env.put(WorkerVariables.NVIDIA_VISIBLE_DEVICES, "void");
        }
        if (loopback != null) {
            // A cluster on this machine only: each worker gets its own loopback address, as local workers do.
            env.put(WorkerVariables.CDSW_IP_ADDRESS, loopback.next());
        }
        WorkerSpec placed = new WorkerSpec(spec.sessionId(), spec.workerId(), spec.command(), env,
                spec.workingDirectory(), spec.cpu(), spec.memoryBytes(), spec.gpus());
        List<String> notes = new CopyOnWriteArrayList<>();
        AgentLink link = agents.expect(placed, sink, notes);
        Path script = jobsDirectory.resolve(spec.workerId() + ".sh");
        Path output = jobsDirectory.resolve(spec.workerId() + ".out");
        try {
            BatchScript.write(script, env, spec.workerId(), settings);
        } catch (IOException e) {
            link.endedWithoutAgent(1, "cannot write its batch script " + script + ": " + e.getMessage());
            return grace -> { };
        }
        // The user's options first: sbatch takes the last of a repeated option, and cohort's must hold
        // (the job name finds the session's jobs; the output file, the environment and no requeue too).
        List<String> sbatch = new ArrayList<>(List.of("sbatch"));
        sbatch.addAll(placementOptions());
        sbatch.addAll(resourceOptions(spec.cpu(), spec.memoryBytes(), spec.gpus()));
        sbatch.addAll(List.of("--parsable", "--job-name=" + jobName, "--output=" + output.toString().replace("%", "%%"),
                "--open-mode=append", "--chdir=" + spec.workingDirectory(), "--no-requeue", "--export=ALL"));
        sbatch.add(script.toString());
        String note = cpusFor(spec.cpu()) + " CPU" + (cpusFor(spec.cpu()) == 1 ? "" : "s")
                + (cpusFor(spec.cpu()) != spec.cpu() ? String.format(Locale.ROOT, " (%.2f asked; Slurm allocates whole CPUs)",
                spec.cpu()) : "") + ", " + resourceOptions(spec.cpu(), spec.memoryBytes(), spec.gpus()).get(1)
                + "; its agent's own output: " + output;
        SlurmJob job = new SlurmJob(link, sink, output);
        try {
            submitter.execute(() -> job.submit(sbatch, notes, note));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            link.endedWithoutAgent(1, "the session's Slurm backend closed before it was submitted");
        }
        return job;
    }

    /** One worker's job. */
    private final class SlurmJob implements WorkerHandle {
        /** Slurm's id, once sbatch answered; null before. Guarded by this job. */
        private String jobId;
        final AgentLink link;
        final WorkerSink sink;
        final Path output;
        /** Guarded by this job, like jobId: a stop and the submission's answer decide together who cancels. */
        private boolean stopRequested;
        int missing;
        boolean seen;
        String lastWait;
        final long submittedAt = System.nanoTime();

        SlurmJob(AgentLink link, WorkerSink sink, Path output) {
            this.link = link;
            this.sink = sink;
            this.output = output;
        }

        /**
         * A running program is stopped by its agent (SIGTERM to its tree, SIGKILL after the grace);
         * scancel follows if the agent has not reported the end soon after. A pending job is cancelled.
         */
        @Override
        public void stop(Duration grace) {
            String id;
            synchronized (this) {
                stopRequested = true;
                id = jobId;
            }
            link.requestStop(grace);
            if (!link.started()) {
                // The agent, should the job start meanwhile, is refused its spec: it runs nothing.
                link.endedWithoutAgent(143, null);
                if (id != null) {
                    jobs.remove(id);
                    scancel(id);
                } // else its submission, when its turn comes or its sbatch answers, submits nothing or cancels it
                return;
            }
            timers.schedule(io.cohort.core.backend.Background.reporting("the scancel of a Slurm job after its stop", () -> {
                String now = jobId();
                if (!link.ended() && now != null) {
                    scancel(now);
                }
            }), grace.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        }

        synchronized String jobId() {
            return jobId;
        }

        /** Submits the job (on a submitter thread), unless the worker was stopped before its turn. */
        void submit(List<String> sbatch, List<String> notes, String note) {
            synchronized (this) {
                if (stopRequested || closed) {
                    if (!link.ended()) {
                        link.endedWithoutAgent(1, "the session's Slurm backend closed before it was submitted");
                    }
                    return;
                }
            }
            SlurmCommands.Outcome o;
            try {
                o = commands.run(sbatch);
            } catch (RuntimeException e) {
                // It may have been submitted all the same: close() cancels the session's jobs by name.
                link.endedWithoutAgent(1, "sbatch failed: " + e.getMessage());
                return;
            }
            String id = o.out().strip().split(";")[0];
            if (!o.ok() || !id.matches("\\d+(_\\d+)?")) {
                link.endedWithoutAgent(1, "sbatch refused it: " + (o.ok() ? "no job id in its answer '" + o.out().strip() + "'" : o.message()));
                return;
            }
            notes.add("Slurm job " + id + ": " + note);
            boolean cancel;
            synchronized (this) {
                jobId = id;
                cancel = stopRequested;
                if (!cancel) {
                    jobs.put(id, this);
                }
            }
            if (cancel) {
                // Stopped while its sbatch ran: the worker is already stopped, and the job goes at once.
                scancel(id);
                return;
            }
            sink.waiting("submitted to Slurm as job " + id);
        }

        void observe(JobState s) {
            if (s == null) {
                missing++;
                Instant heard = link.lastContact();
                boolean agentAlive = link.started() && heard != null
                        && Duration.between(heard, Instant.now()).compareTo(AGENT_ALIVE) < 0;
                if (!agentAlive && missing >= (seen ? MISSING_POLLS_SEEN : MISSING_POLLS)) {
                    end(-1, "Slurm no longer knows job " + jobId + " (it was purged, or the controller restarted)");
                }
                return;
            }
            seen = true;
            missing = 0;
            if (s.pending()) {
                String why = s.waitingReason();
                // A job that Slurm starts within a second is not worth a line of its own.
                boolean worthSaying = System.nanoTime() - submittedAt >= QUIET_PENDING.toNanos();
                if (worthSaying && !why.equals(lastWait)) {
                    lastWait = why;
                    sink.waiting(why);
                }
            } else if (s.ended()) {
                end(s.exitCode() >= 0 ? s.exitCode() : 1, s.endReason() + agentLastWords());
            } else if (!link.started() && System.nanoTime() - submittedAt >= QUIET_PENDING.toNanos()) {
                String why = "Slurm job " + jobId + " runs on " + s.nodes() + "; its agent is starting";
                if (!why.equals(lastWait)) {
                    lastWait = why;
                    sink.waiting(why);
                }
            }
        }

        private void end(int code, String reason) {
            jobs.remove(jobId);
            if (link.ended()) {
                return;
            }
            // A job the session itself cancelled ends as stopped, with the stop's reason.
            link.endedWithoutAgent(code == 0 && !stopRequested ? 1 : code, stopRequested ? null : reason);
        }

        /** The last lines the agent wrote to its Slurm output file, which often say why a job died. */
        private String agentLastWords() {
            try {
                if (!Files.isRegularFile(output)) {
                    return "";
                }
                List<String> lines = Files.readAllLines(output);
                List<String> tail = lines.subList(Math.max(0, lines.size() - 3), lines.size());
                return tail.isEmpty() ? "" : "; the job's output ends with: " + String.join(" | ", tail);
            } catch (IOException | UncheckedIOException e) {
                return "";
            }
        }
    }

    /** Asks squeue about the session's jobs, all at once. */
    private void pollJobs() {
        if (jobs.isEmpty() || closed) {
            return;
        }
        SlurmCommands.Outcome o = commands.run(List.of("squeue", "--all", "--noheader", "--states=all", "--name=" + jobName,
                "--Format=" + JobState.FORMAT));
        if (!o.ok()) {
            return; // slurmctld busy or restarting: the next poll asks again.
        }
        Map<String, JobState> states = JobState.parse(o.out());
        for (SlurmJob job : List.copyOf(jobs.values())) {
            job.observe(states.get(job.jobId()));
        }
    }

    /** Waits until Slurm holds nothing for the session: no job pending, running, or still completing. */
    private void awaitNoLiveJobs(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline) {
            SlurmCommands.Outcome o = commands.run(List.of("squeue", "--all", "--noheader", "--name=" + jobName,
                    "--states=PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED", "-o", "%i"));
            if (o.ok() && o.out().isBlank()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void scancel(String jobId) {
        try {
            commands.run(List.of("scancel", "--quiet", jobId));
        } catch (RuntimeException e) {
            // slurmctld did not answer: close() and the guard cancel the session's jobs by name.
        }
    }

    @Override
    public void close(Duration grace) {
        if (closed) {
            return;
        }
        closed = true;
        timers.shutdownNow();
        // The sbatch calls in flight end first, so that the scancel by name below finds their jobs;
        // those not begun submit nothing now.
        submitter.shutdown();
        try {
            if (!submitter.awaitTermination(2 * SUBMITTERS * 60L + 10, TimeUnit.SECONDS)) {
                submitter.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            // Always, even when no job is known: one may have been submitted by an sbatch that failed.
            commands.run(List.of("scancel", "--quiet", "--name=" + jobName, "--user=" + System.getProperty("user.name")));
            awaitNoLiveJobs(grace.plusSeconds(10));
        } catch (RuntimeException e) {
            // slurmctld did not answer; the guard tries again as it ends.
        } finally {
            if (guard != null) {
                guard.close();
            }
        }
    }
}
