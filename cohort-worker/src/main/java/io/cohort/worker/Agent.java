package io.cohort.worker;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent of a worker that runs on another machine (a Slurm job, later a pod). It is the job's
 * program: it fetches the worker's command, environment and directory from the session, runs it,
 * ships its output lines, polls the session (its heartbeat, which also brings a stop at once),
 * and reports the exit. It exits with the program's exit code, so the engine's own accounting agrees.
 *
 * <p>When the session cannot be reached for {@code COHORT_AGENT_GIVE_UP_MS} (10 s by default) -- it
 * was killed, or its machine is gone -- the agent ends the program's whole tree (SIGTERM, SIGKILL
 * two seconds later) and exits, so no job outlives its session by more than that bound.
 *
 * <p>Environment: COHORT_API, COHORT_TOKEN, COHORT_WORKER_ID; optionally COHORT_AGENT_GIVE_UP_MS.
 */
public final class Agent {
    /** Variables the worker keeps from the host it runs on rather than from the session's machine. */
    private static final Set<String> HOST_VARIABLES = Set.of("HOSTNAME", "TMPDIR", "CUDA_VISIBLE_DEVICES",
            "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES");
    private static final long POLL_WAIT_MS = 10_000;
    private static final long RETRY_MS = 250;
    private static final Duration SESSION_GONE_GRACE = Duration.ofSeconds(2);
    private static final int MAX_BATCH_LINES = 2000;

    private final ControlPlaneClient session;
    private final String worker;
    private final long giveUpMillis;
    private final LinkedBlockingQueue<String[]> lines = new LinkedBlockingQueue<>();
    private final AtomicLong lastContact = new AtomicLong(System.nanoTime());
    private volatile Process process;
    private volatile boolean stopping;
    private volatile boolean sessionGone;

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
        Map<String, Object> spec = (Map<String, Object>) Json.parse(call("GET", path("spec"), null, 30_000));
        List<String> command = new ArrayList<>();
        for (Object o : (List<Object>) spec.get("command")) {
            command.add((String) o);
        }
        Map<String, String> env = environment((Map<String, Object>) spec.get("env"));
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
            call("POST", path("started"), Json.write(Map.of("pid", ProcessHandle.current().pid(), "address", address)), 30_000);
            String reason = "cannot start " + command.get(0) + " on " + hostName() + ": " + e.getMessage();
            call("POST", path("exited"), Json.write(Map.of("exit_code", 127, "reason", reason)), 30_000);
            return 127;
        }
        process = p;
        Map<String, Object> started = new HashMap<>();
        started.put("pid", p.pid());
        started.put("address", address);
        started.put("gpus", gpus(env.get("CUDA_VISIBLE_DEVICES")));
        started.put("host", hostName());
        call("POST", path("started"), Json.write(started), 30_000);

        Thread out = pump(p.getInputStream(), "out");
        Thread err = pump(p.getErrorStream(), "err");
        Thread shipper = daemon("cohort-agent-output", this::shipOutput);
        Thread heartbeat = daemon("cohort-agent-poll", this::poll);
        shipper.start();
        heartbeat.start();
        int code = waitFor(p);
        // Whatever the program left behind in its process group goes with it, as on local workers.
        signalGroup(p.pid(), "KILL");
        join(out);
        join(err);
        lines.add(END);
        join(shipper);
        if (sessionGone) {
            throw new SessionGone("the session at " + System.getenv("COHORT_API") + " has not answered for "
                    + giveUpMillis + " ms; the program was ended");
        }
        call("POST", path("exited"), Json.write(Map.of("exit_code", code)), 30_000);
        return code;
    }

    /** The session's environment for the worker, over this host's for what belongs to the host. */
    private static Map<String, String> environment(Map<String, Object> fromSession) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.keySet().removeIf(k -> k.startsWith("COHORT_AGENT_"));
        fromSession.forEach((k, v) -> {
            if (!HOST_VARIABLES.contains(k) || !env.containsKey(k)) {
                env.put(k, String.valueOf(v));
            }
        });
        return env;
    }

    /** Runs the program as the leader of its own process group, so a stop reaches all of its tree. */
    private static List<String> withSetsid(List<String> command) {
        if (!new File("/usr/bin/setsid").canExecute()) {
            return command;
        }
        List<String> c = new ArrayList<>();
        c.add("/usr/bin/setsid");
        c.addAll(command);
        return c;
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
                    // A GPU named by UUID: not reported as an index.
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

    private static final String[] END = new String[0];

    private Thread pump(InputStream in, String stream) {
        Thread t = daemon("cohort-agent-" + stream, () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 65536)) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(new String[] {stream, line});
                }
            } catch (IOException e) {
                lines.add(new String[] {"err", "[cohort agent: reading the program's std" + stream + " failed: " + e.getMessage() + "]"});
            }
        });
        t.start();
        return t;
    }

    /** Ships lines as they come: whatever gathered while the previous batch was in flight goes next. */
    private void shipOutput() {
        List<String[]> batch = new ArrayList<>();
        boolean end = false;
        while (!end) {
            try {
                if (batch.isEmpty()) {
                    batch.add(lines.take());
                }
            } catch (InterruptedException e) {
                return;
            }
            lines.drainTo(batch, MAX_BATCH_LINES - batch.size());
            if (batch.get(batch.size() - 1) == END) {
                batch.remove(batch.size() - 1);
                end = true;
            }
            if (batch.isEmpty()) {
                continue;
            }
            StringBuilder body = new StringBuilder("{\"lines\":[");
            for (int i = 0; i < batch.size(); i++) {
                body.append(i == 0 ? "" : ",").append(Json.write(List.of(batch.get(i)[0], batch.get(i)[1])));
            }
            try {
                obeyStop(call("POST", path("output"), body.append("]}").toString(), 30_000));
                batch.clear();
            } catch (SessionGone e) {
                sessionGone();
                return;
            }
        }
    }

    /** The heartbeat: a long poll that answers at once when the session wants the program stopped. */
    private void poll() {
        while (process.isAlive()) {
            try {
                obeyStop(call("POST", path("poll"), "{\"wait_ms\":" + POLL_WAIT_MS + "}", (int) POLL_WAIT_MS + 20_000));
            } catch (SessionGone e) {
                sessionGone();
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void obeyStop(String answer) {
        Object stop = ((Map<String, Object>) Json.parse(answer)).get("stop_ms");
        if (stop instanceof Number grace && !stopping) {
            stopping = true;
            stopTree(Duration.ofMillis(grace.longValue()));
        }
    }

    private void sessionGone() {
        if (!sessionGone) {
            sessionGone = true;
            System.err.println("cohort agent " + worker + ": the session has not answered for " + giveUpMillis
                    + " ms; ending the program");
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
     * answer. A refusal (an error status) is the session's answer and is not retried.
     */
    private String call(String method, String path, String json, int readTimeoutMillis) {
        while (true) {
            try {
                String answer = session.callJson(method, path, json, null, readTimeoutMillis);
                lastContact.set(System.nanoTime());
                return answer;
            } catch (ControlPlaneClient.Refused e) {
                lastContact.set(System.nanoTime());
                throw new SessionGone(e.getMessage());
            } catch (UncheckedIOException e) {
                long silent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContact.get());
                if (silent >= giveUpMillis) {
                    throw new SessionGone("the session has not answered for " + silent + " ms: " + e.getMessage());
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

    private static void join(Thread t) {
        try {
            t.join();
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
