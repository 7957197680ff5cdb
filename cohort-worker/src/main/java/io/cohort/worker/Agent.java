package io.cohort.worker;

import io.cohort.worker.internal.LineSplitter;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent of a worker that runs on another machine (a Slurm job, later a pod). It is the job's
 * program: it fetches the worker's command, environment and directory from the session, runs it,
 * ships its output lines, polls the session (its heartbeat, which also brings a stop at once),
 * and reports the exit. It exits with the program's exit code, so the engine's own accounting agrees.
 *
 * <p>When the session cannot be reached for {@code COHORT_AGENT_GIVE_UP_MS} (10 s by default) -- it
 * was killed, or its machine is gone -- the agent ends the program's whole tree (SIGTERM, SIGKILL
 * two seconds later) and exits with 75. Whatever else goes wrong after the program started, the
 * agent never exits and leaves it running.
 *
 * <p>Environment: COHORT_API, COHORT_TOKEN, COHORT_WORKER_ID; optionally COHORT_AGENT_GIVE_UP_MS.
 */
public final class Agent {
    /** Variables the worker keeps from the host it runs on rather than from the session's machine. */
    private static final Set<String> HOST_VARIABLES = Set.of("HOSTNAME", "TMPDIR");
    /** GPU variables: the host's only where the engine allocated GPUs to the job. */
    private static final Set<String> GPU_VARIABLES = Set.of("CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
            "ROCR_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES");
    private static final long POLL_WAIT_MS = 10_000;
    /** A request unanswered this long counts as a silent session (a poll waits POLL_WAIT_MS more). */
    private static final int READ_TIMEOUT_MS = 10_000;
    private static final long RETRY_MS = 250;
    private static final Duration SESSION_GONE_GRACE = Duration.ofSeconds(2);
    private static final int MAX_BATCH_LINES = 2000;
    private static final int MAX_BATCH_BYTES = 1 << 20;
    /** Lines waiting to be shipped; a program that writes faster than the session takes them waits. */
    private static final int QUEUED_LINES = 10_000;
    private static final String[] END = new String[0];

    private final ControlPlaneClient session;
    private final String worker;
    private final long giveUpMillis;
    private final LinkedBlockingQueue<String[]> lines = new LinkedBlockingQueue<>(QUEUED_LINES);
    private final AtomicLong lastContact = new AtomicLong(System.nanoTime());
    private final AtomicBoolean stopping = new AtomicBoolean();
    private volatile Process process;
    private volatile boolean sessionGone;
    /** Set when the agent's JVM was told to end (SIGTERM from the engine): the engine reports the end. */
    private volatile boolean terminated;
    /** Why the agent itself ended the program (it could not do its job), or null. */
    private volatile String failure;

    private Agent(String api, String token, String worker, long giveUpMillis) {
        this.session = new ControlPlaneClient(api, token, worker);
        this.worker = worker;
        this.giveUpMillis = giveUpMillis;
    }

    public static void main(String[] args) {
        String api = require("COHORT_API");
        String token = require("COHORT_TOKEN");
        String worker = require("COHORT_WORKER_ID");
        long giveUp = Long.parseLong(System.getenv().getOrDefault("COHORT_AGENT_GIVE_UP_MS", "10000"));
        int code;
        try {
            code = new Agent(api, token, worker, giveUp).run();
        } catch (SessionGone e) {
            System.err.println("cohort agent " + worker + ": " + e.getMessage());
            code = 75;
        } catch (RuntimeException e) {
            System.err.println("cohort agent " + worker + ": " + e.getMessage());
            code = 70;
        }
        System.exit(code);
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            System.err.println("cohort agent: " + name + " is not set; the agent is started by a cohort backend, not by hand");
            System.exit(2);
        }
        return v;
    }

    /** Thrown when the session has not answered for the give-up time. */
    private static final class SessionGone extends RuntimeException {
        SessionGone(String message) {
            super(message);
        }
    }

    @SuppressWarnings("unchecked")
    private int run() {
        // A refusal here (the worker ended or was stopped while its job waited) means: do not run it.
        Map<String, Object> spec = (Map<String, Object>) Json.parse(call("GET", path("spec"), null, READ_TIMEOUT_MS));
        List<String> command = new ArrayList<>();
        for (Object o : (List<Object>) spec.get("command")) {
            command.add((String) o);
        }
        Map<String, String> env = environment((Map<String, Object>) spec.get("env"), System.getenv());
        String address = env.containsKey("CDSW_IP_ADDRESS") ? env.get("CDSW_IP_ADDRESS") : addressTowardsSession();
        env.put("CDSW_IP_ADDRESS", address);

        ProcessBuilder pb = new ProcessBuilder(withSetsid(command)).directory(new File((String) spec.get("directory")))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            // The program cannot start here (e.g. the interpreter is missing on this node).
            call("POST", path("started"), Json.write(Map.of("pid", ProcessHandle.current().pid(), "address", address)), READ_TIMEOUT_MS);
            String reason = "cannot start " + command.get(0) + " on " + hostName() + ": " + e.getMessage();
            call("POST", path("exited"), Json.write(Map.of("exit_code", 127, "reason", reason)), READ_TIMEOUT_MS);
            return 127;
        }
        process = p;
        // SIGTERM to the agent alone (scancel --batch, a time limit on engines that signal only the
        // batch script) must not leave the program behind either.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // The engine ended the job (cancelled, time limit): it knows why, and says so better than an exit code.
            terminated = true;
            if (p.isAlive()) {
                signalGroup(p.pid(), "KILL");
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }, "cohort-agent-exit"));
        try {
            return supervise(p, address, env);
        } finally {
            // Whatever ended the agent early, it does not leave the program behind.
            if (p.isAlive()) {
                stopTree(SESSION_GONE_GRACE);
                waitFor(p);
            }
        }
    }

    private int supervise(Process p, String address, Map<String, String> env) {
        Map<String, Object> started = new HashMap<>();
        started.put("pid", p.pid());
        started.put("address", address);
        started.put("gpus", gpus(env.get("CUDA_VISIBLE_DEVICES")));
        started.put("host", hostName());
        call("POST", path("started"), Json.write(started), READ_TIMEOUT_MS);

        Thread out = pump(p.getInputStream(), "out");
        Thread err = pump(p.getErrorStream(), "err");
        Thread shipper = daemon("cohort-agent-output", this::shipOutput);
        Thread heartbeat = daemon("cohort-agent-poll", this::poll);
        shipper.start();
        heartbeat.start();
        int code = waitFor(p);
        // Whatever the program left behind in its process group goes with it, as on local workers.
        signalGroup(p.pid(), "KILL");
        join(out, 0);
        join(err, 0);
        offer(END);
        // A shipper stuck on a silent session is not waited for: its lines cannot be delivered anyway.
        while (shipper.isAlive() && !sessionGone) {
            join(shipper, 200);
        }
        if (sessionGone) {
            throw new SessionGone("the session at " + System.getenv("COHORT_API") + " did not answer for "
                    + giveUpMillis + " ms (it ended, or its machine cannot be reached); the program was ended");
        }
        if (terminated) {
            return code;
        }
        Map<String, Object> exited = new HashMap<>();
        exited.put("exit_code", code);
        exited.put("reason", failure);
        call("POST", path("exited"), Json.write(exited), READ_TIMEOUT_MS);
        return code;
    }

    /**
     * The worker's environment: the session's, over this host's for what belongs to the host
     * (its name, its temp folder, the engine's own SLURM_* variables, and the GPUs the engine gave
     * the job, if it gave any).
     */
    static Map<String, String> environment(Map<String, Object> fromSession, Map<String, String> host) {
        Map<String, String> env = new HashMap<>(host);
        env.keySet().removeIf(k -> k.startsWith("COHORT_AGENT_"));
        boolean engineGpus = host.containsKey("SLURM_JOB_GPUS") || host.containsKey("SLURM_STEP_GPUS");
        fromSession.forEach((k, v) -> {
            boolean hosts = HOST_VARIABLES.contains(k) || k.startsWith("SLURM_") || (engineGpus && GPU_VARIABLES.contains(k));
            if (!hosts || !env.containsKey(k)) {
                env.put(k, String.valueOf(v));
            }
        });
        return env;
    }

    /** Runs the program as the leader of its own process group, so a stop reaches all of its tree. */
    private static List<String> withSetsid(List<String> command) {
        for (String dir : new String[] {"/usr/bin/setsid", "/bin/setsid"}) {
            if (new File(dir).canExecute()) {
                List<String> c = new ArrayList<>();
                c.add(dir);
                c.addAll(command);
                return c;
            }
        }
        return command;
    }

    private String path(String action) {
        return "/v1/agents/" + ControlPlaneClient.segment(worker) + "/" + action;
    }

    /** The address of this host on the route to the session: the one peers and the session reach it by. */
    private static String addressTowardsSession() {
        URI api = URI.create(System.getenv("COHORT_API"));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(api.getHost(), api.getPort()), 10_000);
            return s.getLocalAddress().getHostAddress();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the session at " + api, e);
        }
    }

    private static List<Integer> gpus(String visible) {
        List<Integer> out = new ArrayList<>();
        if (visible != null) {
            for (String s : visible.split(",")) {
                try {
                    out.add(Integer.parseInt(s.trim()));
                } catch (NumberFormatException notAnIndex) {
                    // A GPU named by UUID, or none: not reported as an index.
                }
            }
        }
        return out;
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    /** Splits a stream into lines as local workers' pumps do (a line over 1 MiB comes in pieces). */
    private Thread pump(InputStream in, String stream) {
        Thread t = daemon("cohort-agent-" + stream, () -> {
            try (in) {
                LineSplitter.pump(in, line -> offer(new String[] {stream, line}));
            } catch (IOException e) {
                offer(new String[] {"err", "[cohort agent: reading the program's std" + stream + " failed: " + e.getMessage() + "]"});
            } catch (Throwable e) {
                failed("reading the program's std" + stream + " failed: " + e);
            }
        });
        t.start();
        return t;
    }

    /** Queues a line, waiting while the queue is full; lines are dropped once they can no longer be shipped. */
    private void offer(String[] line) {
        try {
            while (!sessionGone && failure == null && !lines.offer(line, 200, TimeUnit.MILLISECONDS)) {
                // The session takes lines slower than the program writes them: the program waits on its pipe.
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ships lines as they come: whatever gathered while the previous batch was in flight goes next. */
    private void shipOutput() {
        try {
            List<String[]> batch = new ArrayList<>();
            boolean end = false;
            while (!end && !sessionGone) {
                if (batch.isEmpty()) {
                    batch.add(lines.take());
                }
                int bytes = 0;
                StringBuilder body = new StringBuilder("{\"lines\":[");
                int taken = 0;
                for (int i = 0; ; i++) {
                    String[] l = i < batch.size() ? batch.get(i) : lines.poll();
                    if (l == null) {
                        break;
                    }
                    if (i >= batch.size()) {
                        batch.add(l);
                    }
                    if (l == END) {
                        end = true;
                        break;
                    }
                    String json = Json.write(List.of(l[0], l[1]));
                    if (taken > 0 && (taken >= MAX_BATCH_LINES || bytes + json.length() > MAX_BATCH_BYTES)) {
                        break;
                    }
                    body.append(taken == 0 ? "" : ",").append(json);
                    bytes += json.length();
                    taken++;
                }
                if (taken > 0) {
                    obeyStop(call("POST", path("output"), body.append("]}").toString(), READ_TIMEOUT_MS));
                }
                batch.subList(0, Math.min(batch.size(), taken + (end ? 1 : 0))).clear();
            }
        } catch (SessionGone e) {
            sessionGone();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            failed("shipping the program's output failed: " + e.getMessage());
        }
    }

    /** The heartbeat: a long poll that answers at once when the session wants the program stopped. */
    private void poll() {
        try {
            while (process.isAlive() && !stopping.get() && !sessionGone) {
                obeyStop(call("POST", path("poll"), "{\"wait_ms\":" + POLL_WAIT_MS + "}", (int) POLL_WAIT_MS + READ_TIMEOUT_MS));
            }
        } catch (SessionGone e) {
            sessionGone();
        } catch (Throwable e) {
            failed("the heartbeat failed: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private void obeyStop(String answer) {
        Object stop = ((Map<String, Object>) Json.parse(answer)).get("stop_ms");
        if (stop instanceof Number grace && stopping.compareAndSet(false, true)) {
            stopTree(Duration.ofMillis(grace.longValue()));
        }
    }

    private void sessionGone() {
        if (!sessionGone) {
            sessionGone = true;
            System.err.println("cohort agent " + worker + ": the session did not answer for " + giveUpMillis
                    + " ms; ending the program");
            if (stopping.compareAndSet(false, true)) {
                stopTree(SESSION_GONE_GRACE);
            }
        }
    }

    /** The agent cannot do its job (the session refused it, or it broke): the program is ended, and why is reported. */
    private void failed(String why) {
        if (failure == null) {
            failure = "its agent ended it: " + why;
            System.err.println("cohort agent " + worker + ": " + why);
        }
        if (stopping.compareAndSet(false, true)) {
            stopTree(SESSION_GONE_GRACE);
        }
    }

    /** SIGTERM to the program's process group and every descendant, then SIGKILL after the grace. */
    private void stopTree(Duration grace) {
        Process p = process;
        if (p == null) {
            return;
        }
        signalGroup(p.pid(), "TERM");
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        daemon("cohort-agent-kill", () -> {
            try {
                if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    signalGroup(p.pid(), "KILL");
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException ignored) {
                // The agent is exiting.
            }
        }).start();
    }

    private static void signalGroup(long pgid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            // No kill command: the descendants are signalled one by one instead.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A request, retried while the session does not answer, up to the give-up time since the last
     * answer. A refusal (an error status) is the session's answer: it is thrown as it is.
     */
    private String call(String method, String path, String json, int readTimeoutMillis) {
        while (true) {
            if (sessionGone) {
                throw new SessionGone("the session did not answer for " + giveUpMillis + " ms");
            }
            try {
                String answer = session.callJson(method, path, json, null, readTimeoutMillis);
                lastContact.set(System.nanoTime());
                return answer;
            } catch (ControlPlaneClient.Refused e) {
                lastContact.set(System.nanoTime());
                throw e;
            } catch (UncheckedIOException e) {
                long silent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContact.get());
                if (silent >= giveUpMillis) {
                    throw new SessionGone("the session did not answer for " + silent + " ms: " + e.getMessage());
                }
                try {
                    Thread.sleep(RETRY_MS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new SessionGone("interrupted");
                }
            }
        }
    }

    private static int waitFor(Process p) {
        while (true) {
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                // The agent has nothing else to do; keep waiting for its program.
            }
        }
    }

    private static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
